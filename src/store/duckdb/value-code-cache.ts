// The value codes (value-codes.ts) held in memory by the writer, so a small batch finds its
// codes without joining value_codes. New codes are drafted during a group's transaction and
// kept only once it commits (`adopt`); a rolled-back group leaves the cache as it was.
// Bulk merges assign codes in SQL; the writer reads back what they added (`refreshSql`).
import type { Sql } from './connections.js';
import { CODED_COLUMNS } from './value-codes.js';

export type CodeKind = (typeof CODED_COLUMNS)[number]['kind'];

export interface NewCode {
  kind: string;
  value: string;
  code: number;
}

export class ValueCodeCache {
  private readonly codes = new Map<string, Map<string, number>>();
  private readonly highest = new Map<string, number>();

  static async load(db: Sql): Promise<ValueCodeCache> {
    const cache = new ValueCodeCache();
    cache.note((await db.all(`SELECT kind, value, code FROM value_codes`)) as unknown as NewCode[]);
    return cache;
  }

  /** Reads the codes added since the cache last saw value_codes (a bulk merge's), on the caller's connection. */
  async refresh(db: Sql): Promise<NewCode[]> {
    const newer = CODED_COLUMNS.map((c) => `(kind = '${c.kind}' AND code > ${this.highest.get(c.kind) ?? 0})`).join(' OR ');
    return (await db.all(`SELECT kind, value, code FROM value_codes WHERE ${newer}`)) as unknown as NewCode[];
  }

  get(kind: string, value: string): number | undefined {
    return this.codes.get(kind)?.get(value);
  }

  /** A draft of new codes for one group: looks up the cache, then what the draft has added. */
  draft(): CodeDraft {
    return new CodeDraft(this);
  }

  /** Keeps codes that are now committed. */
  adopt(added: readonly NewCode[]): void {
    this.note(added);
  }

  nextCode(kind: string): number {
    return (this.highest.get(kind) ?? 0) + 1;
  }

  private note(rows: readonly { kind: unknown; value: unknown; code: unknown }[]): void {
    for (const row of rows) {
      const kind = row.kind as string;
      const code = Number(row.code);
      let values = this.codes.get(kind);
      if (!values) this.codes.set(kind, (values = new Map()));
      values.set(row.value as string, code);
      if (code > (this.highest.get(kind) ?? 0)) this.highest.set(kind, code);
    }
  }
}

/** New codes one group assigns, numbered after the cache's highest of each kind. */
export class CodeDraft {
  readonly added: NewCode[] = [];
  private readonly pending = new Map<string, number>();
  private readonly next = new Map<string, number>();

  constructor(private readonly cache: ValueCodeCache) {}

  /** The value's code, a new one when neither the cache nor this draft has it. */
  code(kind: string, value: string): number {
    const known = this.cache.get(kind, value) ?? this.pending.get(`${kind}\n${value}`);
    if (known !== undefined) return known;
    const code = this.next.get(kind) ?? this.cache.nextCode(kind);
    this.next.set(kind, code + 1);
    this.pending.set(`${kind}\n${value}`, code);
    this.added.push({ kind, value, code });
    return code;
  }
}
