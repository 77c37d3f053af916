import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { errors } from '../errors.ts';

export const CSV_COLUMNS = [
  'address', 'port', 'username', 'password', 'owner_name', 'owner_phone', 'house', 'lat', 'lon', 'sharing_mode', 'consent_date',
] as const;
/** Optional: a camera name, the owner class (household by default, or village), and 'yes' if the owner delegates approvals to the committee. */
export const CSV_OPTIONAL_COLUMNS = ['name', 'owner_class', 'delegated', 'media_ports'] as const;
export type CsvRow = Record<(typeof CSV_COLUMNS)[number], string> & Partial<Record<(typeof CSV_OPTIONAL_COLUMNS)[number], string>>;

export const MAX_CSV_BYTES = 5 * 1024 * 1024;
export const MAX_CSV_ROWS = 10_000;

/** UTF-8 (with or without BOM) as is; anything that is not valid UTF-8 is read as GBK (Excel on zh-CN Windows). */
export function decodeCsv(buf: Buffer): { text: string; encoding: 'utf-8' | 'gbk' } {
  if (buf.length > MAX_CSV_BYTES) throw errors.tooLarge(`CSV file is ${buf.length} bytes; at most ${MAX_CSV_BYTES}`);
  const body = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? buf.subarray(3) : buf;
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body), encoding: 'utf-8' };
  } catch {
    return { text: iconv.decode(body, 'gbk'), encoding: 'gbk' };
  }
}

/** Parses and checks the header; rows come back as strings, validated one by one by the caller. */
export function parseCameraCsv(buf: Buffer): { rows: CsvRow[]; encoding: string } {
  const { text, encoding } = decodeCsv(buf);
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: true, skip_empty_lines: true, trim: true, to: MAX_CSV_ROWS + 2 }) as string[][];
  } catch (e) {
    throw errors.validation(`CSV cannot be read: ${(e as Error).message}`);
  }
  const header = (records[0] ?? []).map((h) => h.toLowerCase());
  const missing = CSV_COLUMNS.filter((c) => !header.includes(c));
  const known: readonly string[] = [...CSV_COLUMNS, ...CSV_OPTIONAL_COLUMNS];
  const unknown = header.filter((h) => !known.includes(h));
  if (missing.length || unknown.length) {
    throw errors.validation(
      `CSV columns must be: ${CSV_COLUMNS.join(',')}` +
        (missing.length ? `; missing: ${missing.join(', ')}` : '') +
        (unknown.length ? `; unknown: ${unknown.join(', ')}` : ''),
    );
  }
  if (records.length - 1 > MAX_CSV_ROWS) throw errors.tooLarge(`CSV has more than ${MAX_CSV_ROWS} rows; split the file`);
  const rows = records.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])) as CsvRow);
  return { rows, encoding };
}
