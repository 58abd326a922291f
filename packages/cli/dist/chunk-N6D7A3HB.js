#!/usr/bin/env node
import { createRequire as __sathosCreateRequire } from 'node:module';
const require = __sathosCreateRequire(import.meta.url);
import{Wa as a,oa as y,pa as s,qa as l}from"./chunk-KDGDPR7F.js";import{a as n}from"./chunk-5H26GO5K.js";var d="https://api.github.com";async function p(i,e){return s(await a(i,"policy"),i,e)}n(p,"readLocalPolicy");async function P(i,e={},r={}){let o=y(i);if(o.kind==="file")return p(o.path,e.policyDigest);let t=r.env??process.env,c=t.SATHOS_GITHUB_TOKEN??t.GITHUB_TOKEN;return l(o,{api:e.githubApi??t.GITHUB_API_URL??d,fetch:r.fetch??fetch,...c===void 0?{}:{token:c},...e.policyDigest===void 0?{}:{expectedDigest:e.policyDigest}})}n(P,"loadPolicy");export{d as a,P as b};
