module.exports = () => 'native';
