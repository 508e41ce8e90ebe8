// Bounds on what lbipam reads from user input and on the text it writes
// back (conditions, Events, logs), so no object a user can write costs
// unbounded work or makes a status write too large for the API server
// (behaviour.md, "Bounded work for any input").

/** User text is quoted up to this many characters, then `...`. */
export const QUOTED_LENGTH = 64;
/** Longest condition or Event message lbipam writes, in UTF-8 bytes. */
export const MESSAGE_LENGTH = 1024;
/** Problems named in one message; the rest are counted. */
export const PROBLEMS_SHOWN = 3;
/** An annotation value longer than this (in UTF-8 bytes) is not parsed. */
export const ANNOTATION_VALUE_BYTES = 16 * 1024;

/** Cuts `text` to `length` UTF-16 units without splitting a surrogate pair. */
function cut(text: string, length: number): string {
  const code = text.charCodeAt(length - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
}

/** User text shortened for a message: the first QUOTED_LENGTH characters, then `...`. */
export function shorten(text: string, length = QUOTED_LENGTH): string {
  return text.length <= length ? text : `${cut(text, length)}...`;
}

/** User text shortened and JSON-quoted, as messages show it. */
export function quote(text: string): string {
  return JSON.stringify(shorten(text));
}

/** A message cut to MESSAGE_LENGTH UTF-8 bytes (ending in `...` when cut). */
export function boundedMessage(message: string): string {
  if (message.length <= MESSAGE_LENGTH / 4 || Buffer.byteLength(message) <= MESSAGE_LENGTH) return message;
  let kept = cut(message, MESSAGE_LENGTH - 3);
  // At most 4 bytes a character: shrink until the bytes fit.
  for (let over = Buffer.byteLength(kept) - (MESSAGE_LENGTH - 3); over > 0; ) {
    kept = cut(kept, kept.length - Math.ceil(over / 4));
    over = Buffer.byteLength(kept) - (MESSAGE_LENGTH - 3);
  }
  return `${kept}...`;
}

/** The first few of `items` joined with `separator`, then how many more, within MESSAGE_LENGTH. */
export function listSome(items: readonly string[], separator = "; ", shown = PROBLEMS_SHOWN): string {
  const named = items.slice(0, shown).join(separator);
  const more = items.length - shown;
  return boundedMessage(more > 0 ? `${named}${separator}and ${more} more` : named);
}
