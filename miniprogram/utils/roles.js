// Chinese names of the roles the server grants (server/community/models.py ROLES).
const ROLE_NAMES = {
  resident: '居民',
  party_member: '党员',
  grid_worker: '网格员',
  merchant_staff: '商家店员',
  org_staff: '单位工作人员',
  reviewer: '审核员',
  admin: '社区管理员',
};

function roleName(role) {
  return ROLE_NAMES[role] || role;
}

module.exports = { ROLE_NAMES, roleName };
