// A file the server sent as bytes (the printed cards' PDF): saved in the mini-program's
// own folder and opened with the phone's viewer, whose menu prints or forwards it.

const api = require('./api');

function save(filePath, data) {
  return new Promise((resolve, reject) => {
    wx.getFileSystemManager().writeFile({
      filePath,
      data,
      success: () => resolve(filePath),
      fail: () => reject(new api.ApiError('save_failed', '文件保存失败，请检查手机存储空间')),
    });
  });
}

function open(filePath, fileType) {
  return new Promise((resolve, reject) => {
    wx.openDocument({
      filePath,
      fileType,
      showMenu: true,
      success: () => resolve(filePath),
      fail: () => reject(new api.ApiError('open_failed', '无法打开文件，请稍后重试')),
    });
  });
}

// `name` without a path, e.g. cards-41.pdf.
async function openPdf(bytes, name) {
  const filePath = `${wx.env.USER_DATA_PATH}/${name}`;
  await save(filePath, bytes);
  return open(filePath, 'pdf');
}

module.exports = { save, open, openPdf };
