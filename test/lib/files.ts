import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * A file's text from byte `offset` to its current end ("" when it is missing or not longer),
 * for logs that grow while they are read (the apiserver's audit log). Shared by the tests and
 * the benchmarks.
 */
export function readFileFrom(file: string, offset: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return '';
    const buf = Buffer.alloc(size - offset);
    let read = 0;
    while (read < buf.length) {
      const n = readSync(fd, buf, read, buf.length - read, offset + read);
      if (n === 0) break;
      read += n;
    }
    return buf.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
