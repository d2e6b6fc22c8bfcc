/**
 * A minimal ustar writer: directories and symlinks only, which is all the
 * base image's root needs (its contents come from read-only bind mounts).
 * Written by hand so that making the image needs neither a registry nor a
 * tar binary nor another dependency.
 */

export type TarEntry = { type: 'dir'; name: string; mode: number } | { type: 'symlink'; name: string; target: string };

const BLOCK = 512;

const field = (buf: Buffer, offset: number, length: number, value: string): void => {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new RangeError(`tar field too long: ${JSON.stringify(value)}`);
  bytes.copy(buf, offset);
};

/** An octal number in a fixed-width, NUL-terminated field. */
const octal = (buf: Buffer, offset: number, length: number, value: number): void =>
  field(buf, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);

const header = (entry: TarEntry): Buffer => {
  const h = Buffer.alloc(BLOCK, 0);
  const name = entry.type === 'dir' && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name;
  field(h, 0, 100, name);
  octal(h, 100, 8, entry.type === 'dir' ? entry.mode : 0o777);
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, 0); // size
  octal(h, 136, 12, 0); // mtime: fixed, so the same entries give the same bytes (and image)
  field(h, 148, 8, '        '); // checksum placeholder: spaces while summing
  field(h, 156, 1, entry.type === 'dir' ? '5' : '2');
  if (entry.type === 'symlink') field(h, 157, 100, entry.target);
  field(h, 257, 6, 'ustar\0');
  field(h, 263, 2, '00');
  field(h, 265, 32, 'root');
  field(h, 297, 32, 'root');
  let sum = 0;
  for (const b of h) sum += b;
  field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
};

/** The bytes of a tar archive holding these entries, in order. */
export const tarOf = (entries: readonly TarEntry[]): Buffer =>
  Buffer.concat([...entries.map(header), Buffer.alloc(2 * BLOCK, 0)]);
