// JUnit XML → test-result: the shapes tools write read right, and every hostile or broken file —
// entity bombs, external entities, truncation, deep nesting, too many tests, a wrong root — is
// refused with REPORT_INVALID naming the file (never a crash, a hang or a PASSED).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sha256Hex } from '../../../digest.js';
import { SathosError } from '../../../errors.js';
import { TEST_RESULT_V01 } from '../predicates.js';
import { parseJUnit, testResultFromJUnit } from './junit.js';
import { REPORT_LIMITS } from './report.js';

const SUBJECT = [{ name: 'app.tar', digest: { sha256: 'a'.repeat(64) } }];
const report = (text: string, name = 'reports/junit.xml') => ({
  name,
  bytes: new TextEncoder().encode(text),
});

/** Surefire's shape: one <testsuite> root, classname = suite name, error and failure both count. */
const SUREFIRE = `<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="com.acme.CartTest" tests="5" failures="1" errors="1" skipped="1">
  <properties><property name="java.version" value="21"/></properties>
  <testcase name="adds" classname="com.acme.CartTest" time="0.01"/>
  <testcase name="removes" classname="com.acme.CartTest"><failure message="expected 1">trace</failure></testcase>
  <testcase name="totals" classname="com.acme.CartTest"><error type="NullPointerException"/></testcase>
  <testcase name="discounts" classname="com.acme.CartTest"><skipped/></testcase>
  <testcase name="retries" classname="com.acme.CartTest"><flakyFailure message="once"/></testcase>
  <system-out><![CDATA[<!DOCTYPE html><html>&nbsp;</html>]]></system-out>
</testsuite>`;

function rejects(text: string | Uint8Array, pattern: RegExp, limits = REPORT_LIMITS): void {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  assert.throws(
    () => parseJUnit([{ name: 'evil/junit.xml', bytes }], limits),
    (e: unknown) =>
      e instanceof SathosError &&
      e.code === 'REPORT_INVALID' &&
      e.isUsage &&
      e.where === 'evil/junit.xml' &&
      pattern.test(e.message),
  );
}

void describe('parseJUnit', () => {
  void it('reads a <testsuite> root: failure and error fail, skipped and flaky warn', () => {
    const run = parseJUnit([report(SUREFIRE)]);
    assert.deepEqual(run.passed, ['com.acme.CartTest/adds']);
    assert.deepEqual(run.failed, ['com.acme.CartTest/removes', 'com.acme.CartTest/totals']);
    assert.deepEqual(run.warned, ['com.acme.CartTest/discounts', 'com.acme.CartTest/retries']);
  });

  void it('reads nested suites and test cases directly under <testsuites>', () => {
    const xml = `<testsuites name="all">
      <testsuite name="api"><testsuite name="auth">
        <testcase name="logs in" classname="api.auth"/>
        <testcase name="refuses" classname="AuthSpec"><failure/></testcase>
      </testsuite></testsuite>
      <testcase name="top" classname="test"/>
    </testsuites>`;
    const run = parseJUnit([report(xml)]);
    assert.deepEqual(run.passed, ['test/top', 'api/auth/logs in']);
    assert.deepEqual(run.failed, ['api/auth/AuthSpec/refuses']);
  });

  void it('does not trust the counters a suite claims: only test cases count', () => {
    const xml = `<testsuite name="s" tests="1" failures="0"><testcase name="t"><failure/></testcase></testsuite>`;
    assert.deepEqual(parseJUnit([report(xml)]).failed, ['s/t']);
  });

  void it('fails a suite whose own failure or error sits outside any test case, or whose counters say more failed', () => {
    // A setup that broke (beforeAll, a fixture, a crashed worker): tools write the error on the
    // suite, not on a case, and every case listed passed. Read by cases alone this was PASSED.
    const setup = `<testsuites><testsuite name="db" tests="1"><testcase name="reads"/><error message="beforeAll failed"/></testsuite></testsuites>`;
    const run = parseJUnit([report(setup)]);
    assert.deepEqual(run.passed, ['db/reads']);
    assert.deepEqual(run.failed, ['db/(an error reported on the suite, outside its test cases)']);
    const top = `<testsuites name="all"><failure message="worker crashed"/><testsuite name="s"><testcase name="t"/></testsuite></testsuites>`;
    assert.deepEqual(parseJUnit([report(top)]).failed, [
      '(a failure reported on the suite, outside its test cases)',
    ]);
    // The counters may undercount (only cases are trusted for that) but never hide: a suite that
    // says 2 failed while its cases show 1 failed is failed for the missing one.
    const counted = `<testsuite name="s" tests="3" failures="1" errors="1"><testcase name="a"/><testcase name="b"><failure/></testcase><testcase name="c"/></testsuite>`;
    assert.deepEqual(parseJUnit([report(counted)]).failed, [
      's/b',
      's/(1 failure(s) or error(s) the suite counts but no test case shows)',
    ]);
    const nested = `<testsuites failures="1"><testsuite name="x" failures="1"><testsuite name="y"><testcase name="z"><failure/></testcase></testsuite></testsuite></testsuites>`;
    assert.deepEqual(parseJUnit([report(nested)]).failed, ['x/y/z']);
  });

  void it('merges several files and keeps each by digest', () => {
    const a = report('<testsuite name="a"><testcase name="one"/></testsuite>', 'a.xml');
    const b = report('<testsuite name="b"><testcase name="two"/></testsuite>', 'b.xml');
    const statement = testResultFromJUnit(SUBJECT, [a, b], { url: 'https://ci.example/run/1' });
    assert.equal(statement.predicateType, TEST_RESULT_V01);
    assert.deepEqual(statement.subject, SUBJECT);
    assert.deepEqual(statement.predicate, {
      result: 'PASSED',
      configuration: [],
      url: 'https://ci.example/run/1',
      passedTests: ['a/one', 'b/two'],
      warnedTests: [],
      failedTests: [],
      sathosReports: [
        { name: 'a.xml', digest: { sha256: sha256Hex(a.bytes) }, mediaType: 'application/xml' },
        { name: 'b.xml', digest: { sha256: sha256Hex(b.bytes) }, mediaType: 'application/xml' },
      ],
    });
  });

  void it('says FAILED over WARNED over PASSED', () => {
    const result = (xml: string) =>
      (testResultFromJUnit(SUBJECT, [report(xml)]).predicate as { result: string }).result;
    assert.equal(result(SUREFIRE), 'FAILED');
    assert.equal(
      result('<testsuite><testcase name="a"/><testcase name="b"><skipped/></testcase></testsuite>'),
      'WARNED',
    );
    assert.equal(result('<testsuite><testcase name="a"/></testsuite>'), 'PASSED');
  });

  void it('decodes entities in names and keeps markup-looking text in CDATA as text', () => {
    const xml = '<testsuite name="s"><testcase name="a &lt;b&gt; &amp; &#x263A;"/></testsuite>';
    assert.deepEqual(parseJUnit([report(xml)]).passed, ['s/a <b> & ☺']);
  });
});

void describe('parseJUnit refuses hostile and broken files, naming them', () => {
  void it('refuses a billion-laughs entity bomb before expanding anything', () => {
    const levels = Array.from(
      { length: 10 },
      (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`,
    ).join('');
    const bomb = `<?xml version="1.0"?><!DOCTYPE t [<!ENTITY l0 "ha">${levels}]><testsuite name="&l10;"><testcase name="x"/></testsuite>`;
    rejects(bomb, /declares a DOCTYPE or entities/);
  });

  void it('refuses external entities and a DOCTYPE placed inside the document', () => {
    rejects(
      '<!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]><testsuite><testcase name="&x;"/></testsuite>',
      /DOCTYPE or entities/,
    );
    rejects('<!doctype t SYSTEM "http://evil.example/t.dtd"><testsuite/>', /DOCTYPE or entities/);
    rejects(
      '<testsuite><!DOCTYPE t [<!ENTITY a "b">]><testcase name="&a;"/></testsuite>',
      /DOCTYPE or entities/,
    );
    rejects('<testsuite><!ELEMENT t ANY><testcase name="a"/></testsuite>', /markup declaration/);
  });

  void it('refuses every truncation of a real report with a clear error, never a crash', () => {
    const whole = SUREFIRE;
    for (let cut = 1; cut < whole.length; cut += 1) {
      try {
        parseJUnit([report(whole.slice(0, cut), 'cut.xml')]);
        assert.fail(`a report cut at ${cut} was accepted`);
      } catch (e) {
        assert.ok(
          e instanceof SathosError && e.code === 'REPORT_INVALID',
          `cut at ${cut}: ${String(e)}`,
        );
        assert.equal(e.where, 'cut.xml');
      }
    }
  });

  void it('refuses a wrong root, an empty report, no test cases and nameless cases', () => {
    rejects('<html><body/></html>', /root element is <html>, not <testsuites> or <testsuite>/);
    rejects('', /empty/);
    rejects('just text', /no XML element/);
    rejects('<testsuites><testsuite name="s"/></testsuites>', /holds no <testcase>/);
    rejects('<testsuite name="s"><testcase classname="c"/></testsuite>', /no name attribute/);
    rejects(
      '<testsuite><testcase name="a"/></testsuite><testsuite/>',
      /more than one root element/,
    );
  });

  void it('refuses test cases it cannot place rather than leaving their failures out', () => {
    rejects(
      '<testsuite name="s"><testcase name="a"/><group><testcase name="b"><failure/></testcase></group></testsuite>',
      /1 <testcase> element\(s\) sit outside a <testsuite>/,
    );
    rejects(
      '<testsuite name="s"><testcase name="a"><testcase name="b"><failure/></testcase></testcase></testsuite>',
      /outside a <testsuite>/,
    );
  });

  void it('refuses bytes that are not UTF-8 and mismatched tags', () => {
    rejects(new Uint8Array([0x3c, 0x74, 0xff, 0xfe, 0x3e]), /not UTF-8/);
    rejects(
      '<testsuite><testcase name="a"></testsuite></testcase>',
      /closes <testcase> with <\/testsuite>/,
    );
    rejects('</testsuite>', /closes an element it never opened/);
  });

  void it('refuses nesting past the depth limit without recursing into it', () => {
    const deep = `${'<testsuite>'.repeat(100_000)}${'</testsuite>'.repeat(100_000)}`;
    rejects(deep, /nests deeper than 64 elements/);
  });

  void it('refuses files over the size, element and test limits', () => {
    const small = { ...REPORT_LIMITS, maxReportBytes: 100, maxElements: 5, maxTests: 2 };
    rejects(`<testsuite>${' '.repeat(200)}</testsuite>`, /more than the 100 allowed/, small);
    rejects('<t><a/><a/><a/><a/><a/></t>', /more than 5 elements/, small);
    rejects(
      '<testsuite><testcase name="a"/><testcase name="b"/><testcase name="c"/></testsuite>',
      /more than 2 test cases/,
      small,
    );
    assert.throws(
      () => parseJUnit([], small),
      (e: unknown) => e instanceof SathosError && /no JUnit report given/.test(e.message),
    );
  });

  void it('cuts very long test names instead of carrying them whole', () => {
    const xml = `<testsuite name="s"><testcase name="${'n'.repeat(10_000)}"/></testsuite>`;
    const [name] = parseJUnit([report(xml)]).passed;
    assert.ok(name !== undefined && name.length <= 2 + REPORT_LIMITS.maxTextChars);
  });
});
