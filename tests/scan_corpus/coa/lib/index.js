exports.Cmd = function Cmd() { return this; };
