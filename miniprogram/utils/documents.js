// A file the server sent as bytes (the printed cards' PDF, an xlsx): saved in the
// mini-program's own folder and opened with the phone's viewer (whose menu prints or
// forwards it) or sent to a chat.

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

function share(filePath, fileName) {
  return new Promise((resolve, reject) => {
    wx.shareFileMessage({
      filePath,
      fileName,
      success: () => resolve('shared'),
      fail: (err) => {
        const msg = String((err && err.errMsg) || '');
        // Closing the chat picker is a choice, not a failure.
        if (msg.indexOf('cancel') >= 0) resolve('cancelled');
        else reject(err);
      },
    });
  });
}

// Send a saved file to a chat (wx.shareFileMessage); where sharing files is unavailable or
// fails (PC WeChat, old clients) open it in the viewer, whose menu forwards it. Resolves to
// 'shared', 'cancelled' or 'opened'.
async function shareOrOpen(filePath, fileName, fileType) {
  if (wx.shareFileMessage) {
    try {
      return await share(filePath, fileName);
    } catch (err) {
      // fall through to the viewer
    }
  }
  await open(filePath, fileType);
  return 'opened';
}

// `name` without a path, e.g. cards-41.pdf.
async function openPdf(bytes, name) {
  const filePath = `${wx.env.USER_DATA_PATH}/${name}`;
  await save(filePath, bytes);
  return open(filePath, 'pdf');
}

module.exports = { save, open, openPdf, shareOrOpen };
