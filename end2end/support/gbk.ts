// Text as Excel in China saves a CSV file: GBK. Node decodes GBK but has no
// encoder, so the table is built once from the decoder, over every
// two-byte code.

let table: Map<string, number[]> | undefined;

function codes(): Map<string, number[]> {
  if (table) return table;
  table = new Map();
  const decoder = new TextDecoder("gbk", { fatal: true });
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      try {
        const text = decoder.decode(Uint8Array.of(lead, trail));
        if (!table.has(text)) table.set(text, [lead, trail]);
      } catch {
        // not a character in GBK
      }
    }
  }
  return table;
}

/** `text` in GBK; throws on a character GBK lacks, rather than writing a wrong byte. */
export function gbk(text: string): Buffer {
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x80) {
      bytes.push(code);
      continue;
    }
    const pair = codes().get(char);
    if (!pair) throw new Error(`${char} has no GBK code`);
    bytes.push(...pair);
  }
  return Buffer.from(bytes);
}
