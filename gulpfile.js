const { src, dest, parallel } = require('gulp');

// tsc emits only .js; icons, codex files (*.node.json, next to each *.node.js) and the model catalog are read at run time from dist/.
function copyIcons() {
	return src(['nodes/**/*.{png,svg}', 'credentials/**/*.{png,svg}'], { base: '.', encoding: false }).pipe(
		dest('dist'),
	);
}

function copyCodex() {
	return src('nodes/**/*.node.json', { base: '.' }).pipe(dest('dist'));
}

function copyModelCatalog() {
	return src('models/**/*.json', { base: '.' }).pipe(dest('dist'));
}

exports['build:assets'] = parallel(copyIcons, copyCodex, copyModelCatalog);
