#!/usr/bin/env node
import { createRequire as __sathosCreateRequire } from 'node:module';
const require = __sathosCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-QTLHX54E.js";import"./chunk-YEH4TH4D.js";import"./chunk-LZ6PPHLP.js";import"./chunk-N6D7A3HB.js";import"./chunk-KDGDPR7F.js";import"./chunk-6744FNAX.js";import"./chunk-G2K4MZJS.js";import"./chunk-JSVWGFBX.js";import"./chunk-5H26GO5K.js";export{a as assertFlagsAgree,b as chainTrustFromFlags,c as verifyChainCommand};
