// components/pin-pad: big digits, 删除, 4 to 6 dots, 确定 only at 4 to 6 digits; the PIN
// leaves only in the submit event and is never kept in the component's data.

const path = require('path');
const simulate = require('miniprogram-simulate');
const { ROOT } = require('../helpers/page');

const id = simulate.load(path.join(ROOT, 'components/pin-pad/index'), { rootPath: ROOT });

function renderPad(props = {}) {
  const pad = simulate.render(id, props);
  pad.attach(document.createElement('parent-wrapper'));
  const submitted = [];
  pad.addEventListener('submit', (e) => submitted.push(e.detail.pin));
  return { pad, submitted };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

async function press(pad, keys) {
  for (const key of keys) {
    const selector = key === 'del' ? '.pin-pad__delete' : `.pin-pad__key--${key}`;
    pad.querySelector(selector).dispatchEvent('tap');
    await tick();
  }
}

function filled(pad) {
  return pad.querySelectorAll('.pin-pad__dot--on').length;
}

async function submit(pad) {
  pad.querySelector('.pin-pad__submit').dispatchEvent('tap');
  await tick();
}

test('digits 0-9 fill one dot each; 6 dot places, 4 of them required', async () => {
  const { pad } = renderPad();
  expect(pad.querySelectorAll('.pin-pad__dot')).toHaveLength(6);
  expect(pad.querySelectorAll('.pin-pad__dot--extra')).toHaveLength(2);
  const keys = pad.querySelectorAll('.pin-pad__key').map((k) => k.dom.textContent.trim());
  expect(keys).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '删除', '0', '确定']);
  await press(pad, ['1', '0', '9']);
  expect(filled(pad)).toBe(3);
});

test('删除 takes the last digit away; on an empty pad it does nothing', async () => {
  const { pad, submitted } = renderPad();
  await press(pad, ['del', '1', '2', '3', '4', 'del', '5']);
  expect(filled(pad)).toBe(4);
  await submit(pad);
  expect(submitted).toEqual(['1235']);
});

test('at most 6 digits: a seventh is ignored', async () => {
  const { pad, submitted } = renderPad();
  await press(pad, ['1', '2', '3', '4', '5', '6', '7', '8']);
  expect(filled(pad)).toBe(6);
  await submit(pad);
  expect(submitted).toEqual(['123456']);
});

test('确定 submits only with 4 to 6 digits, then the pad is empty again', async () => {
  const { pad, submitted } = renderPad();
  await press(pad, ['2', '5', '8']);
  expect(pad.querySelectorAll('.pin-pad__submit--ready')).toHaveLength(0);
  await submit(pad);
  expect(submitted).toEqual([]);
  await press(pad, ['0']);
  expect(pad.querySelectorAll('.pin-pad__submit--ready')).toHaveLength(1);
  await submit(pad);
  expect(submitted).toEqual(['2580']);
  expect(filled(pad)).toBe(0);
  await submit(pad);
  expect(submitted).toEqual(['2580']);
});

test('the digits are never in the component data', async () => {
  const { pad } = renderPad();
  await press(pad, ['7', '3', '1', '9']);
  expect(JSON.stringify(pad.data)).not.toMatch(/7319/);
  expect(pad.data.count).toBe(4);
});

test('while busy the keys and 确定 do nothing', async () => {
  const { pad, submitted } = renderPad();
  await press(pad, ['1', '2', '3', '4']);
  pad.setData({ busy: true });
  await press(pad, ['5', 'del']);
  await submit(pad);
  expect(filled(pad)).toBe(4);
  expect(submitted).toEqual([]);
  expect(pad.querySelector('.pin-pad__submit').dom.textContent.trim()).toBe('验证中');
});

test('a hint and an error line show when given', async () => {
  const { pad } = renderPad({ hint: '请输入密码', error: '密码错误，还可以再试 2 次' });
  expect(pad.querySelector('.pin-pad__hint').dom.textContent.trim()).toBe('请输入密码');
  expect(pad.querySelector('.pin-pad__error').dom.textContent.trim()).toBe(
    '密码错误，还可以再试 2 次'
  );
});
