#!/usr/bin/env node
import { createRequire as __sathosCreateRequire } from 'node:module';
const require = __sathosCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-VJK3XYSN.js";import"./chunk-7J5WZ44X.js";import"./chunk-OFO75Y66.js";import"./chunk-IHESNXPX.js";import"./chunk-G3BQQGMP.js";import"./chunk-6744FNAX.js";import"./chunk-G2K4MZJS.js";import"./chunk-JSVWGFBX.js";import"./chunk-5H26GO5K.js";export{a as assertFlagsAgree,b as chainTrustFromFlags,c as verifyChainCommand};
