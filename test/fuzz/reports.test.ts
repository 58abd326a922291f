// The report readers (JUnit XML, SARIF, SBOM JSON) fed mutations of real reports, hostile XML
// (declarations, entities, deep and unbalanced nesting spliced in) and random trees of JUnit tags:
// each input is read into a statement or refused with REPORT_INVALID naming the file — never
// another exception, never a slow input, never a PASSED that holds a failed test.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  parseJUnit,
  parseSarif,
  parseSbom,
  SEVERITIES,
  testResultStatement,
  type SathosError,
} from '@sathos/core';
import { fuzzParameters, judge, mutatedBytes, mutate, mutation, shown, Tally } from './harness.js';

const read = (name: string) =>
  readFileSync(new URL(`../fixtures/reports/${name}`, import.meta.url));
const JUNIT = [read('failing-suite.junit.xml'), read('node-test-digest.junit.xml')];
const SARIF = [read('two-tools.sarif'), read('posture-nx-shaped.sarif')];
const SBOM = [read('npm-sbom-core.spdx.json'), read('npm-sbom-core.cdx.json')];

/** Markup an attacker would splice into a report. */
const HOSTILE_XML = [
  '<!DOCTYPE t [<!ENTITY a "&#38;a;&#38;a;">]>',
  '<!ENTITY x SYSTEM "file:///etc/passwd">',
  '&x;',
  '&amp;&lt;&#x0;&#xFFFFFF;&#99999999;',
  '<![CDATA[<!DOCTYPE html>]]>',
  '<![CDATA[',
  '<!--',
  '<?xml version="1.0"?>',
  '<testcase name="injected"><failure/></testcase>',
  '<testsuite name="__proto__"><testcase name="constructor"/></testsuite>',
  '<'.repeat(64),
  '<a>'.repeat(200),
  '</testsuite>',
  '"\'>',
].map((s) => Buffer.from(s));

const splicedXml: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.integer({ min: 0, max: JUNIT.length - 1 }),
    fc.nat(),
    fc.constantFrom(...HOSTILE_XML),
    fc.array(mutation, { maxLength: 2 }),
  )
  .map(([index, at, insert, edits]) => {
    const base = JUNIT[index] ?? Buffer.alloc(0);
    const cut = at % (base.length + 1);
    return mutate(Buffer.concat([base.subarray(0, cut), insert, base.subarray(cut)]), edits);
  });

/** Random trees of the tags a JUnit reader interprets, with names drawn from hostile text. */
const junitTree: fc.Arbitrary<string> = fc
  .letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc
        .tuple(
          fc.constantFrom('testcase', 'failure', 'error', 'skipped', 'flakyFailure', 'system-out'),
          fc.string({ maxLength: 12 }),
        )
        .map(([tag, name]) => `<${tag} name="${name.replace(/[<&"]/g, '')}"/>`),
      fc
        .tuple(
          fc.constantFrom('testsuite', 'testsuites', 'testcase', 'properties'),
          fc.array(tie('node'), { maxLength: 4 }),
        )
        .map(([tag, children]) => `<${tag} name="n">${(children as string[]).join('')}</${tag}>`),
    ),
  }))
  .node.map((xml) => `<testsuites>${xml}</testsuites>`);

/** A refusal must name the file it refuses. */
function namesFile(result: { ok: false; error: SathosError }, name: string): void {
  assert.equal(result.error.code, 'REPORT_INVALID');
  assert.ok(result.error.where?.includes(name), `${result.error.line} does not name ${name}`);
}

function checkJUnit(bytes: Uint8Array, tally: Tally): void {
  const name = 'fuzz/junit.xml';
  const result = judge(
    tally,
    () => shown(Buffer.from(bytes)),
    () => parseJUnit([{ name, bytes }]),
  );
  if (!result.ok) {
    namesFile(result, name);
    return;
  }
  const predicate = testResultStatement([], result.value).predicate as { result: string };
  if (result.value.failed.length > 0) assert.equal(predicate.result, 'FAILED');
  for (const test of [...result.value.passed, ...result.value.warned, ...result.value.failed]) {
    assert.equal(typeof test, 'string');
  }
}

function fuzz<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  check: (input: T, tally: Tally) => void,
) {
  void it(`${name}: a statement or REPORT_INVALID naming the file, for every input`, (t) => {
    const tally = new Tally(name);
    fc.assert(
      fc.property(arbitrary, (input) => {
        check(input, tally);
      }),
      fuzzParameters(),
    );
    tally.report(t);
  });
}

void describe('fuzz: evidence report readers', () => {
  fuzz('junit mutated', mutatedBytes(JUNIT), checkJUnit);
  fuzz('junit hostile markup spliced', splicedXml, checkJUnit);
  fuzz('junit random trees', junitTree, (xml, tally) => {
    checkJUnit(Buffer.from(xml), tally);
  });

  fuzz('sarif mutated', mutatedBytes(SARIF), (bytes, tally) => {
    const name = 'fuzz/scan.sarif';
    const result = judge(
      tally,
      () => shown(bytes),
      () => parseSarif([{ name, bytes }]),
    );
    if (!result.ok) {
      namesFile(result, name);
      return;
    }
    for (const finding of result.value.findings) {
      const first = finding.severity[0];
      assert.equal(first?.method, 'severity');
      assert.ok((SEVERITIES as readonly string[]).includes(first.score), first.score);
    }
  });

  fuzz('sarif random JSON', fc.json({ maxDepth: 6 }), (text, tally) => {
    const name = 'fuzz/random.sarif';
    const result = judge(
      tally,
      () => shown(text),
      () => parseSarif([{ name, bytes: Buffer.from(text) }]),
    );
    if (!result.ok) namesFile(result, name);
  });

  fuzz('sbom mutated', mutatedBytes(SBOM), (bytes, tally) => {
    const name = 'fuzz/sbom.json';
    const result = judge(
      tally,
      () => shown(bytes),
      () => parseSbom({ name, bytes }),
    );
    if (!result.ok) {
      namesFile(result, name);
      return;
    }
    assert.ok(['spdx', 'cyclonedx'].includes(result.value.format));
  });
});
