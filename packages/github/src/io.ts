// What an action says back to the runner: log lines, annotations, outputs, the job summary and the
// step's failure. One interface, so actions are tested with a recorder and run with @actions/core.
import * as core from '@actions/core';

export interface Annotation {
  readonly title?: string;
  readonly file?: string;
  readonly startLine?: number;
}

/** A job summary: a heading, lines of text, and a table whose cells are plain text (escaped on write). */
export interface JobSummary {
  readonly heading: string;
  readonly lines: readonly string[];
  readonly table?: {
    readonly header: readonly string[];
    readonly rows: readonly (readonly string[])[];
  };
  /**
   * Mermaid source drawn after the lines (GitHub renders a ```mermaid block). Written as given: the
   * producer makes every label inert (core's mermaidText); a backtick fence in it is refused.
   */
  readonly mermaid?: string;
}

export interface ActionIO {
  info(line: string): void;
  warning(line: string, annotation?: Annotation): void;
  error(line: string, annotation?: Annotation): void;
  notice(line: string, annotation?: Annotation): void;
  setOutput(name: string, value: string): void;
  summary(summary: JobSummary): Promise<void>;
  /** Marks the step failed with one line (the process exits 1). */
  setFailed(line: string): void;
}

/**
 * Escapes text for the HTML the job summary renders: commit data is attacker-chosen text. Line
 * breaks become spaces: a blank line would end the HTML block and the rest would render as Markdown.
 */
export function escapeHtml(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function properties(annotation: Annotation | undefined): core.AnnotationProperties {
  return {
    ...(annotation?.title === undefined ? {} : { title: annotation.title }),
    ...(annotation?.file === undefined ? {} : { file: annotation.file }),
    ...(annotation?.startLine === undefined ? {} : { startLine: annotation.startLine }),
  };
}

/** Renders a summary into @actions/core's buffer (every cell escaped). */
export function renderSummary(summary: JobSummary): string {
  const buffer = core.summary.emptyBuffer().addHeading(escapeHtml(summary.heading), 2);
  for (const line of summary.lines) buffer.addRaw(`<p>${escapeHtml(line)}</p>`, true);
  if (summary.mermaid !== undefined && !summary.mermaid.includes('`')) {
    buffer.addRaw(`\n\n\`\`\`mermaid\n${summary.mermaid}\n\`\`\`\n\n`, true);
  }
  if (summary.table !== undefined) {
    buffer.addTable([
      summary.table.header.map((data) => ({ data: escapeHtml(data), header: true })),
      ...summary.table.rows.map((row) => row.map((cell) => escapeHtml(cell))),
    ]);
  }
  const text = buffer.stringify();
  buffer.emptyBuffer();
  return text;
}

/** The real runner: workflow commands and the GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files. */
export function actionsIO(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ActionIO {
  return {
    info: (line) => {
      core.info(line);
    },
    warning: (line, annotation) => {
      core.warning(line, properties(annotation));
    },
    error: (line, annotation) => {
      core.error(line, properties(annotation));
    },
    notice: (line, annotation) => {
      core.notice(line, properties(annotation));
    },
    setOutput: (name, value) => {
      core.setOutput(name, value);
    },
    summary: async (summary) => {
      const text = renderSummary(summary);
      if (!env.GITHUB_STEP_SUMMARY) {
        core.info('no GITHUB_STEP_SUMMARY file: the job summary is not written');
        return;
      }
      await core.summary.emptyBuffer().addRaw(text).write();
    },
    setFailed: (line) => {
      core.setFailed(line);
    },
  };
}

/** Everything an action said, for tests. */
export interface RecordedIO extends ActionIO {
  readonly lines: {
    level: 'info' | 'warning' | 'error' | 'notice';
    line: string;
    annotation?: Annotation;
  }[];
  readonly outputs: Map<string, string>;
  readonly summaries: JobSummary[];
  readonly failures: string[];
}

export function recordingIO(): RecordedIO {
  const io: RecordedIO = {
    lines: [],
    outputs: new Map(),
    summaries: [],
    failures: [],
    info: (line) => io.lines.push({ level: 'info', line }),
    warning: (line, annotation) =>
      io.lines.push({
        level: 'warning',
        line,
        ...(annotation === undefined ? {} : { annotation }),
      }),
    error: (line, annotation) =>
      io.lines.push({ level: 'error', line, ...(annotation === undefined ? {} : { annotation }) }),
    notice: (line, annotation) =>
      io.lines.push({ level: 'notice', line, ...(annotation === undefined ? {} : { annotation }) }),
    setOutput: (name, value) => io.outputs.set(name, value),
    summary: (summary) => {
      io.summaries.push(summary);
      return Promise.resolve();
    },
    setFailed: (line) => io.failures.push(line),
  };
  return io;
}
