// A spec file's text and how to point into it: path inside the document -> line number.
import { createHash } from 'node:crypto';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { SpecLocation } from '../errors.js';

export type DocPath = readonly (string | number)[];

export function formatPath(path: DocPath): string {
  let s = '';
  for (const part of path) s += typeof part === 'number' ? `[${part}]` : s ? `.${part}` : part;
  return s;
}

export class SpecSource {
  private doc: Document | undefined;
  private lines: LineCounter | undefined;

  constructor(
    readonly file: string,
    /** The text, or how to read it again (a streamed commands file is not held whole). */
    private readonly content: string | (() => string),
    /** YAML and JSON have lines worth pointing at; a commands file's lines are its task indices. */
    readonly structured: boolean,
    private digest?: string,
  ) {}

  get text(): string {
    return typeof this.content === 'string' ? this.content : this.content();
  }

  /** SHA-256 of the text (hex): what a plan records of its spec. */
  get sha256(): string {
    return (this.digest ??= createHash('sha256').update(this.text).digest('hex'));
  }

  /** Location of `path`, walking up to the nearest ancestor that exists (e.g. for a missing key). */
  locate(path: DocPath): SpecLocation {
    const loc: SpecLocation = { file: this.file, path: formatPath(path) || undefined };
    if (!this.structured) return loc;
    if (!this.doc) {
      this.lines = new LineCounter();
      this.doc = parseDocument(this.text, { lineCounter: this.lines });
    }
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) {
        loc.line = this.lines!.linePos(node.range[0]).line;
        break;
      }
    }
    return loc;
  }
}
