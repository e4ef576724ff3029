module.exports = { version: 1 };
