// A refused form, field by field: a 422's details.fields.json ({field: [message]}) and the
// codes that name one field become messages shown beside that field; anything else is a
// message for the whole form.

function firstMessage(value) {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const v of value) {
      const m = firstMessage(v);
      if (m) return m;
    }
    return '';
  }
  if (value && typeof value === 'object') return firstMessage(Object.values(value));
  return '';
}

// codeFields maps an error code to the field it is about, e.g. {photo_required: 'photo_ids'}.
function formErrors(err, codeFields = {}) {
  const fields = {};
  const details = (err && err.details) || {};
  const json = details.fields && details.fields.json;
  if (json && typeof json === 'object') {
    for (const [name, messages] of Object.entries(json)) fields[name] = firstMessage(messages);
  }
  const field = err && codeFields[err.code];
  if (field) fields[field] = err.message;
  const message = Object.keys(fields).length ? '' : (err && err.message) || '出错了，请稍后重试';
  return { fields, message };
}

module.exports = { formErrors, firstMessage };
