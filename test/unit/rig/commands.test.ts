// The simulators' command language, on the real emulator and simulator objects (no sockets):
// words, durations, every meter and charger command's effect and its errors.
import t from 'tap';
import { MeterEmulator } from '../../../drivers/han/emulator.js';
import { SimulatedCharger } from '../../../drivers/charger/simulator.js';
import { loadProfiles } from '../../../drivers/charger/profile.js';
import { checksumOf, parseLine } from '../../../drivers/han/parse.js';
import { runMeterCommand } from '../../../agent/sim/meter-commands.js';
import { runChargerCommand } from '../../../agent/sim/charger-commands.js';
import { completer, parseDuration, tokenize } from '../../../agent/sim/words.js';
import { METER_COMMANDS } from '../../../agent/sim/meter-commands.js';

t.test('tokenize and durations', async (t) => {
  t.same(tokenize('label 2 "EV Charger"'), ['label', '2', 'EV Charger']);
  t.same(tokenize('  raw "a \\"q\\" b"  '), ['raw', 'a "q" b']);
  t.same(tokenize('label 2 ""'), ['label', '2', '']);
  t.throws(() => tokenize('label 2 "open'), { name: 'CommandError' });
  const table: Array<[string | number, number]> = [
    ['90', 90_000],
    ['500ms', 500],
    ['2s', 2000],
    ['1.5min', 90_000],
    ['1h', 3_600_000],
    [3, 3000],
    ['2m', 120_000],
  ];
  for (const [text, ms] of table) t.equal(parseDuration(text), ms, `${JSON.stringify(text)} = ${ms} ms`);
  for (const bad of ['', 'soon', '-1', '2 days', '1e3']) t.throws(() => parseDuration(bad), { name: 'CommandError' }, `${JSON.stringify(bad)} is refused`);
});

t.test('tab completion offers command names, then causes for open/close', async (t) => {
  const c = completer(METER_COMMANDS);
  t.same(c('bo')[0], ['boostcfg']);
  t.same(c('open 2 d')[0], ['dno']);
  t.same(c('close 2 ')[0], ['dno', 'supplier', 'calendar', 'boost', 'reset', 'unknown']);
  t.same(c('help si')[0], ['silence']);
  t.same(c('label 2 ')[0], [], 'nothing to offer for free text');
});

/** A meter with one fake peer that collects what it sends. */
function meterWithPeer(): { meter: MeterEmulator; sent: string[] } {
  const meter = new MeterEmulator({ heartbeatMs: 0, clock: () => Date.parse('2026-11-30T12:00:00Z') });
  const sent: string[] = [];
  meter.on('sent', (l) => sent.push(l));
  // The emulator's peers are its transports; a fake one keeps the test off sockets.
  (meter as unknown as { peers: Set<unknown> }).peers.add({ write: () => undefined, close: () => undefined, reader: { destroy: () => undefined } });
  return { meter, sent };
}

t.test('meter commands send the protocol lines a meter would', async (t) => {
  const { meter, sent } = meterWithPeer();
  runMeterCommand(meter, 'open 2 dno 30');
  t.equal(sent.at(-1), 'SWITCH idx=2 type=HCALCS state=open cause=dno dur=30 seq=0');
  runMeterCommand(meter, 'close 2 reset dev=00-DB-12-34-56-78-90-97');
  t.equal(sent.at(-1), 'SWITCH idx=2 type=HCALCS dev=00-DB-12-34-56-78-90-97 state=closed cause=reset seq=1');
  runMeterCommand(meter, 'label 2 "EV Charger"');
  t.equal(sent.at(-1), 'LABEL idx=2 text="EV Charger" seq=2');
  runMeterCommand(meter, 'boostcfg 2,3 60');
  t.equal(sent.at(-1), 'BOOSTCFG loads=2,3 period=60 seq=3');
  runMeterCommand(meter, 'boostcfg - 30');
  t.equal(sent.at(-1), 'BOOSTCFG loads=- period=30 seq=4');
  runMeterCommand(meter, 'press');
  t.equal(sent.at(-1), 'BOOST action=press seq=5');
  runMeterCommand(meter, 'cancel');
  t.equal(sent.at(-1), 'BOOST action=cancel seq=6');
  runMeterCommand(meter, 'gap 3');
  t.equal(sent.at(-1), 'HB time=2026-11-30T12:00:00Z seq=10', 'three numbers skipped, shown by a heartbeat');
  const badsum = runMeterCommand(meter, 'badsum');
  const line = sent.at(-1)!;
  t.match(line, /^SWITCH idx=2 state=open cause=dno\*[0-9A-F]{2}$/, 'by default the dangerous move of the first switch');
  t.not(line.slice(-2), checksumOf(line.slice(0, -3)), 'with a wrong checksum');
  t.equal(parseLine(line).kind, 'rejected', 'which the parser rejects');
  t.match(badsum.text, /right: \*[0-9A-F]{2}/);
  t.equal(runMeterCommand(meter, 'wait 1.5s').waitMs, 1500);
  t.ok(runMeterCommand(meter, 'quit').quit);
});

t.test('nolabel leaves the LABEL out of READ answers; silence sends nothing, not even answers', async (t) => {
  const { meter, sent } = meterWithPeer();
  runMeterCommand(meter, 'close 2 calendar');
  runMeterCommand(meter, 'nolabel 2');
  const onLine = (raw: string) => (meter as unknown as { onLine(r: string): void }).onLine(raw);
  sent.length = 0;
  onLine('READ what=switches');
  t.same(
    sent.map((l) => l.split(' ')[0]),
    ['SWITCH', 'END'],
    'no LABEL line for switch 2',
  );
  runMeterCommand(meter, 'label 2 "EV Charger"');
  sent.length = 0;
  onLine('READ what=switches');
  t.same(
    sent.map((l) => l.split(' ')[0]),
    ['SWITCH', 'LABEL', 'END'],
    'a label set again is answered',
  );
  runMeterCommand(meter, 'silence 60');
  sent.length = 0;
  onLine('READ what=switches');
  onLine('PING');
  runMeterCommand(meter, 'open 2 dno');
  t.same(sent, [], 'nothing leaves a silent meter');
  t.equal(meter.received.length, 4, 'but it still hears the agent');
  runMeterCommand(meter, 'silence 0');
  onLine('READ what=switches');
  t.match(sent[0], /^SWITCH idx=2 type=HCALCS state=open cause=dno/, 'the change made while silent shows in the next answer');
});

t.test('meter command errors are CommandErrors with the usage', async (t) => {
  const { meter } = meterWithPeer();
  const bad: Array<[string, RegExp]> = [
    ['open', /usage: open IDX/],
    ['open 6', /switch number must be at most 5/],
    ['open 2 sometimes', /unknown word "sometimes"/],
    ['open 2 dev=12', /dev must be an EUI-64/],
    ['label 2', /usage: label IDX/],
    ['boostcfg 2,9 60', /at most 5/],
    ['boostcfg 2 0', /boost period \(minutes\) must be at least 1/],
    ['press hard', /usage: press \[move\]/],
    ['silence forever', /bad duration/],
    ['garbage x', /N must be a number/],
    ['frobnicate', /unknown command "frobnicate"/],
  ];
  for (const [cmd, re] of bad) t.throws(() => runMeterCommand(meter, cmd), { name: 'CommandError', message: re }, cmd);
  t.equal(runMeterCommand(meter, '# a comment').text, '');
});

t.test('charger commands drive the simulated charger and its car', async (t) => {
  let now = 1_000_000;
  const profile = loadProfiles().get('heidelberg-energy-control')!;
  const u = new SimulatedCharger({ unitId: 1, profile, carDelayMs: 1000 }, () => now);
  u.write(6, profile.setpoint.register.address, [160]);
  t.equal(u.setpointA, 16, '16 A written (0.1 A units)');
  now += 2000;
  t.equal(u.measuredA(), 16 * 0.95);
  t.match(runChargerCommand(u, 'reboot').text, /setpoint now 0 A \(profile: zero\)/, "Heidelberg's setpoint goes to 0 on a reboot");
  runChargerCommand(u, 'noreply');
  t.same(u.fault, { kind: 'no-reply' });
  runChargerCommand(u, 'slow 250');
  t.same(u.fault, { kind: 'slow', delayMs: 250 });
  runChargerCommand(u, 'exception 4');
  t.same(u.fault, { kind: 'exception', code: 4 });
  runChargerCommand(u, 'ok');
  t.equal(u.fault, null);
  runChargerCommand(u, 'ignore 20');
  t.equal(u.measuredA(), 20, 'a car that ignores the limit draws what it wants');
  runChargerCommand(u, 'obey');
  runChargerCommand(u, 'unplug');
  t.equal(u.measuredA(), 0);
  t.equal(u.vehicleState(), 'A');
  runChargerCommand(u, 'plug');
  now += 2000;
  t.equal(u.vehicleState(), 'B', 'plugged in at 0 A: connected, not charging, once the car settled');
  runChargerCommand(u, 'delay 2s');
  t.equal(u.carDelayMs, 2000);
  t.match(runChargerCommand(u, 'show').text, /heidelberg-energy-control unit 1: setpoint 0 A/);
  for (const cmd of ['slow', 'exception 0', 'draw 2', 'ignore lots', 'frob']) t.throws(() => runChargerCommand(u, cmd), { name: 'CommandError' }, cmd);
});
