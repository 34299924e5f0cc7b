// The gateway's icon, served at /favicon.ico without a token: browsers ask for it on every page they
// show (the JSON of /mesos/master/state too), and a 404 there is noise in every console.

/** A 32×32 PNG: a white arch (a gate) on a rounded blue square. */
const PNG = Buffer.from(
  [
    'iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAACDklEQVR4nOyXyUscQRTGvyo7hwRCkAkk48wkEJ0kF5OJEIjZLoFI',
    'QiKTgxmCSSA5eDIYRFH8D0YEDwqKBy8qgogogqjgRQT14IIi6LiAiisKCgqKM11WNSqWW5fb9KV/h6be61f1fV1VTVdrOITra/AX',
    'IfAT4BUP43C1zDOghzE0zjXnVe0nibg4Pxc91GLCFSDkI6IBY+3hiJax0JIzTUWsaZGaqIkLuBZ/4Gqj6fkS/AOKSliBjr+UUQRg',
    'EUKbEsZ8sAihrfH1uHeeTklP4pD2IRFetwPeBw4jNz6zitDsCuo6hjEYWlAfjGsTT2qQqdTe0Chy098jw/8SlJITayI6Q1lDL4pr',
    'u7AT1lWGhZKBGC7YWPgTz71OqCBm4VtetWHIDAoFsn+8VRYX+B47kRV4rVSrmRU8S7iPzLTkY/nhySX0j84Z7aSnLiTGy1spK/AG',
    'bb3jGJlaxqUM/P70gu8VOVdY1YnS+h4p9+97Mt8j7w5i0Sc9xYeCsvYzxzddgni3Q4oHQvPHxAUldd0YmliUcglH+l7IwCNXrGxg',
    '7PTXrG9vSQ4MeMwNmC5B7O2bUry+uXVq7dqGfO/unVswQ+ktuE5sA7YB24BtwDZA+U/CEqyCaxN3arCVf7pTYAH8wNbGj+Uoh0UI',
    'beOsY8ksMNY025zvNzahziL/+XxsI0owsA09TDJFWzrtWfF7vgsAAP//ocxoMwAAAAZJREFUAwAGBKBcWNo9WAAAAABJRU5ErkJg',
    'gg==',
  ].join(''),
  'base64',
);

/** An .ico file holding the PNG as its one image (the ICO format allows PNG entries since Windows Vista). */
function icoOf(png: Buffer, size: number): Buffer {
  const header = Buffer.alloc(6 + 16);
  header.writeUInt16LE(0, 0);            // reserved
  header.writeUInt16LE(1, 2);            // type: icon
  header.writeUInt16LE(1, 4);            // one image
  header.writeUInt8(size, 6);            // width
  header.writeUInt8(size, 7);            // height
  header.writeUInt8(0, 8);               // no palette
  header.writeUInt8(0, 9);               // reserved
  header.writeUInt16LE(1, 10);           // colour planes
  header.writeUInt16LE(32, 12);          // bits per pixel
  header.writeUInt32LE(png.length, 14);  // image size
  header.writeUInt32LE(header.length, 18); // image offset
  return Buffer.concat([header, png]);
}

export const FAVICON_ICO: Buffer = icoOf(PNG, 32);
