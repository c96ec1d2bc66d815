// The project shell: app.json's pages and tab bar, and every page rendering in Chinese.

const fs = require('fs');
const path = require('path');
const { installFakeWx } = require('../helpers/fake-wx');
const { serveDemo } = require('../helpers/demo');
const { ROOT, renderPage, screenText, text, exists, tap } = require('../helpers/page');

const appJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'));
const pageNames = appJson.pages.map((p) => p.replace(/^pages\/(.+)\/index$/, '$1'));

test('the tab bar is 任务 / 积分 / 兑换 / 我的', () => {
  expect(appJson.tabBar.list.map((t) => t.text)).toEqual(['任务', '积分', '兑换', '我的']);
  expect(appJson.tabBar.list.map((t) => t.pagePath)).toEqual([
    'pages/tasks/index',
    'pages/points/index',
    'pages/rewards/index',
    'pages/me/index',
  ]);
  for (const tab of appJson.tabBar.list) {
    for (const icon of [tab.iconPath, tab.selectedIconPath]) {
      const file = path.join(ROOT, icon);
      expect(fs.existsSync(file)).toBe(true);
      expect(fs.statSync(file).size).toBeLessThan(40 * 1024); // WeChat's tab icon limit
    }
  }
});

test('project files are valid and point at each other', () => {
  const project = JSON.parse(fs.readFileSync(path.join(ROOT, 'project.config.json'), 'utf8'));
  expect(project.compileType).toBe('miniprogram');
  expect(project.setting.urlCheck).toBe(false); // the local http server is not a legal domain
  expect(fs.existsSync(path.join(ROOT, appJson.sitemapLocation))).toBe(true);
  JSON.parse(fs.readFileSync(path.join(ROOT, appJson.sitemapLocation), 'utf8'));
});

test.each(pageNames)('page %s has its four files and uses the Component constructor', (name) => {
  for (const ext of ['js', 'json', 'wxml', 'wxss']) {
    expect(fs.existsSync(path.join(ROOT, 'pages', name, `index.${ext}`))).toBe(true);
  }
  const js = fs.readFileSync(path.join(ROOT, 'pages', name, 'index.js'), 'utf8');
  expect(js).toMatch(/Component\(/);
  expect(js).not.toMatch(/wx\.request/); // only utils/api.js talks to the server
  const json = JSON.parse(fs.readFileSync(path.join(ROOT, 'pages', name, 'index.json'), 'utf8'));
  expect(json.navigationBarTitleText).toMatch(/[\u4e00-\u9fa5]/);
});

test('only utils/api.js calls wx.request', () => {
  const offenders = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (['node_modules', 'tests'].includes(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.js') && /wx\.request\(/.test(fs.readFileSync(full, 'utf8'))) {
        offenders.push(path.relative(ROOT, full));
      }
    }
  };
  walk(ROOT);
  expect(offenders).toEqual(['utils/api.js']);
});

// Pages opened from another page get the query they are opened with.
const QUERIES = {
  'task-detail': { id: '11' },
  'task-manage': { id: '11' },
  'offer-detail': { id: '21' },
  redemption: { id: '31' },
  'report-detail': { id: '501' },
  'wish-detail': { id: '601' },
  'card-holder': { id: '41' },
};

test.each(pageNames)('page %s renders Chinese text for a member', async (name) => {
  const fake = serveDemo(installFakeWx());
  const page = renderPage(name, { query: QUERIES[name] || {} });
  await fake.settle();
  const shown = screenText(page);
  expect(shown).toMatch(/[\u4e00-\u9fa5]{2,}/);
  expect(shown).not.toMatch(/undefined|null|NaN|\{\{|\[object/);
  if (page.instance.onUnload) page.instance.onUnload();
});

// [tab, hero title, something only a member sees]
const TABS = [
  ['tasks', '志愿任务', '.scan-btn'],
  ['points', '我的积分', '.ledger'],
  ['rewards', '积分兑换', '.my-redemptions-entry'],
];

describe.each(TABS)('tab %s', (name, heroTitle, memberOnly) => {
  test('a member sees the member view with their community data', async () => {
    const fake = serveDemo(installFakeWx());
    const page = renderPage(name);
    await fake.settle();
    expect(text(page, '.hero__title')).toBe(heroTitle);
    expect(exists(page, memberOnly)).toBe(true);
    expect(exists(page, '.join-btn')).toBe(false);
  });

  test('a newcomer is sent to 加入社区, and coming back shows the member view', async () => {
    const fake = serveDemo(installFakeWx());
    fake.on('GET /api/v1/me', 'me_newcomer');
    const page = renderPage(name);
    await fake.settle();
    expect(text(page, '.card__title')).toBe('先加入社区');
    expect(exists(page, memberOnly)).toBe(false);
    tap(page, '.join-btn');
    await fake.settle();
    expect(fake.navigations).toEqual([{ type: 'navigateTo', url: '/pages/community-join/index' }]);

    // The join page clears the cached profile; onShow then fetches the new one.
    require('../../utils/profile').clear();
    fake.on('GET /api/v1/me', 'me_resident');
    page.instance.onShow();
    await fake.settle();
    expect(exists(page, '.join-btn')).toBe(false);
    expect(exists(page, memberOnly)).toBe(true);
  });

  test('a network failure says so and 重试 recovers', async () => {
    const fake = serveDemo(installFakeWx());
    fake.once('GET /api/v1/me', { network: true });
    const page = renderPage(name);
    await fake.settle();
    expect(screenText(page)).toContain('网络连接失败，请检查网络后重试');
    tap(page, '.page-state >>> .state__retry');
    await fake.settle();
    expect(exists(page, memberOnly)).toBe(true);
  });
});
