module.exports = function UAParser() { return {}; };
