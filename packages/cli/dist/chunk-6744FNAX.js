#!/usr/bin/env node
import { createRequire as __sathosCreateRequire } from 'node:module';
const require = __sathosCreateRequire(import.meta.url);
import{c as i,d as s,e as d}from"./chunk-JSVWGFBX.js";import{a as r}from"./chunk-5H26GO5K.js";function x(n,e,o={},t=[e]){return{exitCode:0,json:{[n]:!0,code:"OK",reason:e,...o},lines:t}}r(x,"success");function a(n,e,o={}){if(s(e)){let c=e.isUsage?2:1,u={[n]:!1,code:e.code,reason:e.line,...o};return{exitCode:c,json:u,lines:[`error: ${e.line}`]}}let t=`unexpected error: ${d(e)}`;return{exitCode:1,json:{[n]:!1,code:"INTERNAL_ERROR",reason:t,...o},lines:[`error: ${t}`]}}r(a,"failure");function f(n,e){return a(n,new i("USAGE",e))}r(f,"usage");export{x as a,a as b,f as c};
