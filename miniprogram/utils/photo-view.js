// Photos a page shows from the server ({id, url}): <image> cannot send the bearer header, so
// each one is downloaded through api.download and shown from its temporary file.

const api = require('./api');

function photoSlots(photos) {
  return (photos || []).map((p) => ({ id: p.id, path: '', error: false }));
}

// Fill data[key] (a list of slots) one download at a time.
async function loadPhotos(component, key) {
  const slots = component.data[key] || [];
  for (let i = 0; i < slots.length; i += 1) {
    if (slots[i].path || slots[i].error) continue;
    try {
      const path = await api.download(slots[i].id);
      component.setData({ [`${key}[${i}].path`]: path });
    } catch (err) {
      component.setData({ [`${key}[${i}].error`]: true });
    }
  }
}

function previewMethod(key) {
  return function preview(e) {
    const slots = this.data[e.currentTarget.dataset.list || key] || [];
    const urls = slots.filter((p) => p.path).map((p) => p.path);
    wx.previewImage({ current: slots[e.currentTarget.dataset.index].path, urls });
  };
}

module.exports = { photoSlots, loadPhotos, previewMethod };
