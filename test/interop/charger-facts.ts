// The register facts of the vendors' register documents, restated by hand, independent of the
// profile JSON files: the interop suite checks that what the driver puts on the wire for a
// profile matches these, so a wrong address, scale or word order in a profile fails here even
// though the profile is self-consistent. Words at 16 A were computed by hand:
// float32 16.0 = 0x41800000; 16 A in mA = 16000 = 0x3E80; 16 A in 0.1 A = 160.
export interface ChargerFacts {
  setpointAddress: number;
  /** Function codes the vendor doc / working driver uses for the setpoint. */
  setpointFcs: Array<6 | 16>;
  /** The setpoint registers for a 16 A limit. */
  wordsAt16A: number[];
  defaultUnitId: number;
  transport: 'tcp' | 'rtu';
  serial?: { baudRate: number; dataBits: number; parity: 'none' | 'even' | 'odd'; stopBits: number };
  /** The keep-alive write the charger expects, where it is a write of a fixed value. */
  keepAliveWrite?: { address: number; value: number };
  /** Failsafe current register and its value for 6 A, where the agent writes it. */
  failsafeCurrentAt6A?: { address: number; words: number[] };
}

export const FACTS: Record<string, ChargerFacts> = {
  // §1 Alfen: 1210-1211 float32 BE A, FC16, socket 1 = unit 1.
  'alfen-eve': { setpointAddress: 1210, setpointFcs: [16], wordsAt16A: [0x4180, 0x0000], defaultUnitId: 1, transport: 'tcp' },
  // §2 ABB: 0x4100 uint32 BE mA, FC16, unit 1.
  'abb-terra-ac': { setpointAddress: 0x4100, setpointFcs: [16], wordsAt16A: [0x0000, 0x3e80], defaultUnitId: 1, transport: 'tcp' },
  // §3 Heidelberg: 261 uint16 0.1 A, FC06 (FC16 works), RTU 19200 8E1; failsafe current 262 in 0.1 A.
  'heidelberg-energy-control': {
    setpointAddress: 261,
    setpointFcs: [6, 16],
    wordsAt16A: [160],
    defaultUnitId: 1,
    transport: 'rtu',
    serial: { baudRate: 19200, dataBits: 8, parity: 'even', stopBits: 1 },
    failsafeCurrentAt6A: { address: 262, words: [60] },
  },
  // §4 Phoenix ETH: 528 uint16 A, FC06, unit 255.
  'phoenix-ev-cc-eth': { setpointAddress: 528, setpointFcs: [6], wordsAt16A: [16], defaultUnitId: 255, transport: 'tcp' },
  // §5 Vestel: 5004 uint16 A, FC06/16, unit 255; alive 6000 = 1; failsafe current 2000 (A).
  'vestel-evc04': {
    setpointAddress: 5004,
    setpointFcs: [6, 16],
    wordsAt16A: [16],
    defaultUnitId: 255,
    transport: 'tcp',
    keepAliveWrite: { address: 6000, value: 1 },
    failsafeCurrentAt6A: { address: 2000, words: [6] },
  },
  // §6 Webasto Next: as Vestel, 5004 A, life bit 6000, safe current 2000.
  'webasto-next': {
    setpointAddress: 5004,
    setpointFcs: [6, 16],
    wordsAt16A: [16],
    defaultUnitId: 255,
    transport: 'tcp',
    keepAliveWrite: { address: 6000, value: 1 },
    failsafeCurrentAt6A: { address: 2000, words: [6] },
  },
  // §7a Mennekes Compact: 0x0302 float32 A (high word first as evcc/nymea), FC16, RTU 57600 8N2, unit 50; heartbeat 0x55AA at 0x0D00.
  'mennekes-amtron-compact': {
    setpointAddress: 0x0302,
    setpointFcs: [16],
    wordsAt16A: [0x4180, 0x0000],
    defaultUnitId: 50,
    transport: 'rtu',
    serial: { baudRate: 57600, dataBits: 8, parity: 'none', stopBits: 2 },
    keepAliveWrite: { address: 0x0d00, value: 0x55aa },
  },
  // §7b Mennekes HCC3: 0x0400 uint16 A, FC06 only, unit 255.
  'mennekes-hcc3': { setpointAddress: 0x0400, setpointFcs: [6], wordsAt16A: [16], defaultUnitId: 255, transport: 'tcp' },
  // §8 Bender: 1000 uint16 A, FC16 (FC06 probably), unit 255; safe current 131 (A).
  'bender-cc612': {
    setpointAddress: 1000,
    setpointFcs: [16, 6],
    wordsAt16A: [16],
    defaultUnitId: 255,
    transport: 'tcp',
    failsafeCurrentAt6A: { address: 131, words: [6] },
  },
  // §9 Schneider: 4004 uint16 A, FC06, unit 255; life bit 4000 = 1.
  'schneider-evlink-pro-ac': {
    setpointAddress: 4004,
    setpointFcs: [6],
    wordsAt16A: [16],
    defaultUnitId: 255,
    transport: 'tcp',
    keepAliveWrite: { address: 4000, value: 1 },
  },
  // §10 KEBA: 5004 uint16 mA, FC06 only, unit 255; failsafe current 5016 (mA).
  'keba-p30': {
    setpointAddress: 5004,
    setpointFcs: [6],
    wordsAt16A: [16000],
    defaultUnitId: 255,
    transport: 'tcp',
    failsafeCurrentAt6A: { address: 5016, words: [6000] },
  },
  // §11 go-e: 299 uint16 A, FC16 only, unit 1.
  'go-e': { setpointAddress: 299, setpointFcs: [16], wordsAt16A: [16], defaultUnitId: 1, transport: 'tcp' },
  // §12 Etrel: 8-9 float32 BE A, FC16, unit 1.
  'etrel-inch': { setpointAddress: 8, setpointFcs: [16], wordsAt16A: [0x4180, 0x0000], defaultUnitId: 1, transport: 'tcp' },
  // §13 SimpleEVSE: 1000 uint16 A, FC16, RTU 9600 8N1, unit 1.
  simpleevse: {
    setpointAddress: 1000,
    setpointFcs: [16],
    wordsAt16A: [16],
    defaultUnitId: 1,
    transport: 'rtu',
    serial: { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
  },
  // §16 Victron: 5016 uint16 A, FC06, unit 1.
  'victron-evcs': { setpointAddress: 5016, setpointFcs: [6], wordsAt16A: [16], defaultUnitId: 1, transport: 'tcp' },
  // §18 EM2GO: 91 uint16 0.1 A, FC16, unit 255; safe current 87 (0.1 A).
  em2go: {
    setpointAddress: 91,
    setpointFcs: [16],
    wordsAt16A: [160],
    defaultUnitId: 255,
    transport: 'tcp',
    failsafeCurrentAt6A: { address: 87, words: [60] },
  },
};
