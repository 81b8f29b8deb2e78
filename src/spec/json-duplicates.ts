// JSON.parse keeps the last of two equal keys without a word, so `{"stages": […], "stages": […]}`
// would silently drop a stage list. This scan finds such a key in text JSON.parse has accepted; the
// loader then re-reads the file with the YAML parser, which reports it with its line and path.

/** Whether any object in `text` (valid JSON) has the same key twice. */
export function hasDuplicateKeys(text: string): boolean {
  // One frame per open object (its keys so far) or array (null).
  const frames: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i + 1;
      let escaped = false;
      for (i = start; ; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) {
          escaped = true;
          i++;
        } else if (d === 0x22) break;
      }
      const keys = frames[frames.length - 1];
      if (expectKey && keys) {
        const raw = text.slice(start, i);
        const key = escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (keys.has(key)) return true;
        keys.add(key);
        expectKey = false;
      }
    } else if (c === 0x7b /* { */) {
      frames.push(new Set());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      frames.push(null);
      expectKey = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      frames.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = frames[frames.length - 1] !== null && frames.length > 0;
    }
  }
  return false;
}
