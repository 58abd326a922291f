#!/usr/bin/env node
import { createRequire as __sathosCreateRequire } from 'node:module';
const require = __sathosCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-PVKX6VZ6.js";import"./chunk-FIMIUVTB.js";import"./chunk-RQ2PF2LP.js";import"./chunk-IFRNCMZB.js";import"./chunk-EKFRVBTI.js";import"./chunk-6744FNAX.js";import"./chunk-G2K4MZJS.js";import"./chunk-JSVWGFBX.js";import"./chunk-5H26GO5K.js";export{a as assertFlagsAgree,b as chainTrustFromFlags,c as verifyChainCommand};
