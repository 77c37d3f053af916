// Case numbers as Chinese police write them (兖公刑立字〔2026〕118号): one canonical form for
// grants, cases, exports and the audit log, so the same case always hashes and matches the same.
import { AppError } from '../errors.ts';

export const CASE_NUMBER_MAX = 64;

// Letters and digits of any script, spaces, and the punctuation case numbers use (ASCII and CJK).
const ALLOWED = /^[\p{L}\p{N} ._\/\-()#:〔〕［］【】（）〈〉《》「」『』·・、，。：－—‐]+$/u;

/** NFC, trimmed, inner whitespace collapsed; throws `invalid_case_number` (400) with the reason. */
export function canonicalCaseNumber(input: string): string {
  if (typeof input !== 'string') throw invalid('a case number is text');
  if (/\p{Surrogate}/u.test(input)) throw invalid('the case number contains an invalid character (lone surrogate)');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u.test(input)) throw invalid('the case number contains a control character');
  const s = input.normalize('NFC').replace(/[\s\u3000]+/gu, ' ').trim();
  if (!s) throw invalid('the case number is empty');
  if ([...s].length > CASE_NUMBER_MAX) throw invalid(`the case number is longer than ${CASE_NUMBER_MAX} characters`);
  if (!ALLOWED.test(s)) throw invalid('the case number may hold letters, digits, spaces and case-number punctuation only');
  return s;
}

function invalid(reason: string) {
  return new AppError('invalid_case_number', 400, `Invalid case number: ${reason}.`, { reason });
}
