// Photos on the cards of a list (data[key].items[i].photos as {id, path, error}): <image>
// cannot send the bearer header, so each is downloaded through api.download, card by card
// to stay under wx.downloadFile's parallel limit, and shown from its temporary file.

const api = require('./api');

function photoSlots(photos) {
  return (photos || []).map((p) => ({ id: p.id, path: '', error: false }));
}

async function loadListPhotos(component, key) {
  const where = (itemId, photoId) => {
    const items = component.data[key].items;
    const i = items.findIndex((x) => x.id === itemId);
    const j = i < 0 ? -1 : items[i].photos.findIndex((p) => p.id === photoId);
    return j < 0 ? null : `${key}.items[${i}].photos[${j}]`;
  };
  for (const item of component.data[key].items.slice()) {
    const missing = item.photos.filter((p) => !p.path && !p.error);
    await Promise.all(
      missing.map(async (photo) => {
        let path = '';
        let error = false;
        try {
          path = await api.download(photo.id);
        } catch (err) {
          error = true;
        }
        const at = where(item.id, photo.id); // the list may have been reloaded meanwhile
        if (at) component.setData({ [`${at}.path`]: path, [`${at}.error`]: error });
      })
    );
  }
}

// A tap on a card's photo (data-item, data-index) opens the card's downloaded photos.
function previewListPhoto(key) {
  return function preview(e) {
    const { item, index } = e.currentTarget.dataset;
    const card = this.data[key].items.find((x) => x.id === item);
    if (!card) return;
    const urls = card.photos.filter((p) => p.path).map((p) => p.path);
    wx.previewImage({ current: card.photos[index].path, urls });
  };
}

module.exports = { photoSlots, loadListPhotos, previewListPhoto };
