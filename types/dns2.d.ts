// The part of dns2 (no bundled types) that tests use to decode what our encoder writes.
declare module 'dns2' {
  interface Dns2Header {
    id: number; qr: number; opcode: number; aa: number; tc: number; rd: number; ra: number; z: number; rcode: number;
    qdcount: number; ancount: number; nscount: number; arcount: number;
  }
  interface Dns2Question { name: string; type: number; class: number }
  interface Dns2Resource {
    name: string; type: number; class: number; ttl: number;
    address?: string; target?: string; port?: number; priority?: number; weight?: number; ns?: string;
    primary?: string; admin?: string; serial?: number; refresh?: number; retry?: number; expiration?: number; minimum?: number;
  }
  interface Dns2Packet {
    header: Dns2Header;
    questions: Dns2Question[];
    answers: Dns2Resource[];
    authorities: Dns2Resource[];
    additionals: Dns2Resource[];
  }
  const dns2: { Packet: { parse(buffer: Buffer): Dns2Packet; TYPE: Record<string, number>; CLASS: Record<string, number> } };
  export default dns2;
}
