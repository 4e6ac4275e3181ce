/**
 * The number of bytes `text` takes as UTF-8, counting a lone surrogate as the 3 bytes of
 * U+FFFD that an encoder writes for it. Pure, so the rotation decision stays testable
 * without a runtime's `Buffer` or `TextEncoder`.
 *
 * @param text Any string.
 * @returns Its UTF-8 byte length.
 *
 * @example
 * ```ts
 * import { utf8Length } from "./utf8_length.ts";
 * if (utf8Length("aé€😀") !== 1 + 2 + 3 + 4) throw new Error("wrong length");
 * ```
 */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) {
      bytes += 1;
    } else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      // A valid pair is 4 bytes for 2 units; a lone high surrogate is 3 bytes for 1.
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2;
        i++;
      } else {
        bytes += 2;
      }
    } else {
      bytes += 2;
    }
  }
  return bytes;
}
