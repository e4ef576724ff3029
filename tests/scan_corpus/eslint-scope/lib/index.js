'use strict';
exports.analyze = function analyze(ast, options) { return { ast, options }; };
