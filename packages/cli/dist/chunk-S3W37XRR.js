#!/usr/bin/env node
import { createRequire as __sathosCreateRequire } from 'node:module';
const require = __sathosCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-6K3YKIFW.js";import"./chunk-2UEJUHTU.js";import"./chunk-K7ZBGPFO.js";import"./chunk-XNZOL3NI.js";import"./chunk-K3XDNUCU.js";import"./chunk-6744FNAX.js";import"./chunk-G2K4MZJS.js";import"./chunk-JSVWGFBX.js";import"./chunk-5H26GO5K.js";export{a as assertFlagsAgree,b as chainTrustFromFlags,c as verifyChainCommand};
