/**
 * Comparisons in TCP's 32-bit sequence space (RFC 1982 serial arithmetic), as
 * Wireshark's GT_SEQ / LT_SEQ / LE_SEQ: `a` is after `b` when `a - b`, taken as a signed
 * 32-bit number, is positive — so comparisons stay right across the 2^32 wrap.
 */

/** `a` comes after `b`. */
export const gtSeq = (a: number, b: number): boolean => ((b - a) | 0) < 0;

/** `a` comes before `b`. */
export const ltSeq = (a: number, b: number): boolean => ((a - b) | 0) < 0;

/** `a` comes before `b` or is `b`. */
export const leSeq = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
