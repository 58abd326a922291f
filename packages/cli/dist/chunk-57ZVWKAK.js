#!/usr/bin/env node
import { createRequire as __sathosCreateRequire } from 'node:module';
const require = __sathosCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-XQJFK6UJ.js";import"./chunk-Q4R6R5XF.js";import"./chunk-YZ2PCOIP.js";import"./chunk-5FBNHC47.js";import"./chunk-PKVKVDYV.js";import"./chunk-6744FNAX.js";import"./chunk-G2K4MZJS.js";import"./chunk-JSVWGFBX.js";import"./chunk-5H26GO5K.js";export{a as assertFlagsAgree,b as chainTrustFromFlags,c as verifyChainCommand};
