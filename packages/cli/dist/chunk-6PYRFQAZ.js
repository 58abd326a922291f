#!/usr/bin/env node
import { createRequire as __sathosCreateRequire } from 'node:module';
const require = __sathosCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-AZOQKDLR.js";import"./chunk-LAZXXJ5W.js";import"./chunk-4R6R2CSD.js";import"./chunk-ZMUERUDY.js";import"./chunk-DADMJTNW.js";import"./chunk-6744FNAX.js";import"./chunk-G2K4MZJS.js";import"./chunk-JSVWGFBX.js";import"./chunk-5H26GO5K.js";export{a as assertFlagsAgree,b as chainTrustFromFlags,c as verifyChainCommand};
