// The QR texts against schemas/qr.json, the server's description of both codes.

const fs = require('fs');
const path = require('path');
const Ajv2020 = require('ajv/dist/2020');
const tasks = require('../utils/tasks');
const { fixture } = require('./helpers/fixtures');

const doc = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, '../../schemas/qr.json'), 'utf8'),
);
const ajv = new Ajv2020({ allErrors: true, strict: false });
ajv.addSchema(doc);

function check(definition) {
  return ajv.getSchema(`${doc.$id}#/$defs/${definition}`);
}

test('the check-in text the organiser screen draws is what the schema describes', () => {
  const isCheckin = check('checkin_code_text');
  for (const name of ['checkin_code_1', 'checkin_code_2']) {
    const { task_id: taskId, token } = fixture(name).body;
    const text = tasks.checkinPayload(taskId, token);
    expect(isCheckin(text)).toBe(true);
    expect(tasks.parseCheckinPayload(text)).toEqual({ taskId, token });
  }
  expect(isCheckin('RPCHECKIN:11:')).toBe(false);
  expect(tasks.parseCheckinPayload('RPCHECKIN:11:')).toBeNull();
  expect(isCheckin('RPCHECKIN:abc:eyJ.a.b')).toBe(false);
  expect(tasks.parseCheckinPayload('RPCHECKIN:abc:eyJ.a.b')).toBeNull();
});

test('a redemption code token is the whole QR text', () => {
  const isRedemption = check('redemption_code_text');
  for (const name of ['redemption_code_1', 'redemption_code_2']) {
    expect(isRedemption(fixture(name).body.token)).toBe(true);
  }
  expect(isRedemption('RPCHECKIN:11:eyJ.a.b')).toBe(false);
});
