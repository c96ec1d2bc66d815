// Photos on a form: pick up to `max`, upload each with its progress, retry or remove a
// failed one, preview. Mixed into a page's methods; the list lives in data.photos as
// {key, path, progress, id, error}. The markup is in the pages (class names as claim-form).
// Choosing photos is a privacy API: the 隐私保护指引 is agreed first (utils/privacy.js), and
// a refusal stays beside the photos with nothing picked or uploaded.

const api = require('./api');
const privacy = require('./privacy');

const PHOTO_REFUSED = '您未同意隐私保护指引，不能选择照片';

let photoSeq = 0;

function photoMethods(max = 9) {
  return {
    async addPhotos() {
      const room = max - this.data.photos.length;
      if (room <= 0) return;
      const refused = () => this.setData({ 'errors.photo_ids': PHOTO_REFUSED });
      if (!(await privacy.ensure())) {
        refused();
        return;
      }
      wx.chooseMedia({
        count: room,
        mediaType: ['image'],
        sizeType: ['compressed'],
        sourceType: ['album', 'camera'],
        success: (res) => {
          for (const file of res.tempFiles.slice(0, room)) this.uploadPhoto(file.tempFilePath);
        },
        fail: (err) => {
          if (privacy.isRefusal(err && err.errMsg)) refused();
        },
      });
    },
    setPhoto(key, values) {
      const i = this.data.photos.findIndex((p) => p.key === key);
      if (i < 0) return; // removed while uploading
      const changes = {};
      for (const [k, v] of Object.entries(values)) changes[`photos[${i}].${k}`] = v;
      this.setData(changes);
    },
    async uploadPhoto(path, existingKey) {
      let key = existingKey;
      if (!key) {
        photoSeq += 1;
        key = `p${photoSeq}`;
        const photo = { key, path, progress: 0, id: null, error: '' };
        this.setData({ photos: this.data.photos.concat([photo]), 'errors.photo_ids': '' });
      } else {
        this.setPhoto(key, { progress: 0, error: '' });
      }
      try {
        // A page filing for a card holder keeps its X-Acting-For client in this.client.
        const upload = await (this.client || api).upload(path, {
          onProgress: (progress) => this.setPhoto(key, { progress }),
        });
        this.setPhoto(key, { id: upload.id, progress: 100 });
      } catch (err) {
        this.setPhoto(key, { error: api.errorMessage(err) });
      }
    },
    retryPhoto(e) {
      const p = this.data.photos[e.currentTarget.dataset.index];
      if (p) this.uploadPhoto(p.path, p.key);
    },
    removePhoto(e) {
      const photos = this.data.photos.slice();
      photos.splice(e.currentTarget.dataset.index, 1);
      this.setData({ photos });
    },
    previewPhoto(e) {
      wx.previewImage({
        current: this.data.photos[e.currentTarget.dataset.index].path,
        urls: this.data.photos.map((p) => p.path),
      });
    },
    // '' when every photo is uploaded, else why the form cannot be sent yet.
    photosProblem() {
      if (this.data.photos.some((p) => !p.id && !p.error)) return '照片还在上传，请稍候';
      if (this.data.photos.some((p) => p.error)) return '有照片上传失败，请重试或删除';
      return '';
    },
    photoIds() {
      return this.data.photos.map((p) => p.id);
    },
  };
}

module.exports = { photoMethods, PHOTO_REFUSED };
