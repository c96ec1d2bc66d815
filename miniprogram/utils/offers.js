// Offers on screen beyond utils/rewards.js's offerView: the picture (an upload is fetched with
// the bearer header, which <image> cannot send) and what the resident cannot afford yet.
// Affordability is only a hint against the last known balance; reserving is the server's call.

const api = require('./api');
const { offerView } = require('./rewards');

const UPLOAD_PATH = /\/api\/v1\/uploads\/(\d+)\/?(?:[?#].*)?$/;

// The upload id of an image_url on our server (/api/v1/uploads/{id}, any host), else null.
function uploadIdOf(url) {
  const m = UPLOAD_PATH.exec(url || '');
  return m ? Number(m[1]) : null;
}

// {imageSrc, imageUpload, noImage}: a plain https picture shows at once, an upload after
// its download, no picture as the placeholder.
function imageSlot(url) {
  if (!url) return { imageSrc: '', imageUpload: null, noImage: true };
  const id = uploadIdOf(url);
  return { imageSrc: id ? '' : url, imageUpload: id, noImage: false };
}

// "还差 N 分" when the available points are known and short of the cost.
function affordability(pointsCost, available) {
  if (typeof available !== 'number' || typeof pointsCost !== 'number') {
    return { affordable: true, shortBy: 0, shortText: '' };
  }
  const shortBy = Math.max(0, pointsCost - available);
  return { affordable: shortBy === 0, shortBy, shortText: shortBy ? `还差 ${shortBy} 分` : '' };
}

// An offer as the 兑换 list and the offer page show it.
function offerCard(o, available) {
  const cost = o.points_cost;
  return Object.assign(offerView(o), imageSlot(o.image_url), affordability(cost, available));
}

// Download the upload pictures of data[key].items one at a time (wx.downloadFile has a
// parallel limit); a failed one shows the placeholder.
async function loadOfferImages(component, key) {
  const pending = component.data[key].items.filter((x) => x.imageUpload && !x.imageSrc);
  for (const offer of pending) {
    let src = '';
    try {
      src = await api.download(offer.imageUpload);
    } catch (err) {
      src = '';
    }
    const i = component.data[key].items.findIndex((x) => x.id === offer.id); // reloaded since?
    if (i < 0) continue;
    if (src) component.setData({ [`${key}.items[${i}].imageSrc`]: src });
    else component.setData({ [`${key}.items[${i}].noImage`]: true });
  }
}

// The same for one offer in data[key] (the offer page).
async function loadOfferImage(component, key) {
  const offer = component.data[key];
  if (!offer || !offer.imageUpload || offer.imageSrc) return;
  try {
    component.setData({ [`${key}.imageSrc`]: await api.download(offer.imageUpload) });
  } catch (err) {
    component.setData({ [`${key}.noImage`]: true });
  }
}

module.exports = {
  uploadIdOf,
  imageSlot,
  affordability,
  offerCard,
  loadOfferImages,
  loadOfferImage,
};
