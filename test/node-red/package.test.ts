/**
 * node-red/ packs as its own package, node-red-contrib-cutout: the `node-red` field lists a .js and an .html
 * per node that register the names it gives, the nodes reach only the core and Node built-ins, and its
 * runtime dependencies are the core's, version for version, as in the root package.json.
 */
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const PACKAGE_DIR = path.join(ROOT, 'node-red');
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const nodeRedPackage = readJson(path.join(PACKAGE_DIR, 'package.json'));
const rootPackage = readJson(path.join(ROOT, 'package.json'));
/** Root dependencies only the n8n package needs (none today: n8n-workflow is a peer dependency). */
const N8N_ONLY_DEPENDENCIES: string[] = [];

describe('the node-red-contrib-cutout package', () => {
	it('is a Node-RED 4.1+ module with a .js and an .html per node', () => {
		expect(nodeRedPackage).toMatchObject({ name: 'node-red-contrib-cutout', license: 'MIT' });
		expect(nodeRedPackage.keywords).toContain('node-red');
		expect(nodeRedPackage.engines.node).toMatch(/^>=20/);
		expect(nodeRedPackage['node-red'].version).toBe('>=4.1.0');
		const nodes: Record<string, string> = nodeRedPackage['node-red'].nodes;
		expect(Object.keys(nodes).sort()).toEqual(['cutout-alpha-matte', 'cutout-inpaint', 'cutout-provider', 'cutout-remove-background']);
		for (const [type, file] of Object.entries(nodes)) {
			expect(file).toBe(`nodes/${type}.js`);
			const script = fs.readFileSync(path.join(PACKAGE_DIR, file), 'utf8');
			const html = fs.readFileSync(path.join(PACKAGE_DIR, file.replace(/\.js$/, '.html')), 'utf8');
			// The config node registers itself; the operations through runtime.js's operationNode.
			expect({ type, registers: new RegExp(`(RED\\.nodes\\.registerType|operationNode)\\('${type}'`).test(script) }).toEqual({ type, registers: true });
			expect(html).toMatch(new RegExp(`(registerType|CutoutEditor\\.register)\\('${type}'`));
			expect(html).toContain(`data-template-name="${type}"`);
			expect(html).toContain(`data-help-name="${type}"`);
			// Node-RED serves resources/ under the package's name.
			expect(html).toContain(`<script src="resources/${nodeRedPackage.name}/editor.js"></script>`);
		}
		expect(fs.existsSync(path.join(PACKAGE_DIR, 'resources', 'editor.js'))).toBe(true);
	});

	it('ships the nodes, the editor script, the examples and the compiled core with its catalog, and nothing else', () => {
		expect(nodeRedPackage.files.sort()).toEqual(['core', 'examples', 'models', 'nodes', 'resources']);
		const tsconfig = readJson(path.join(PACKAGE_DIR, 'tsconfig.core.json'));
		expect(tsconfig.compilerOptions).toMatchObject({ rootDir: '../lib', outDir: 'core' });
		// lib/models/catalog.ts reads <its folder>/../../models/catalog.json: from core/models/ that is node-red/models/.
		expect(rootPackage.scripts['build:node-red']).toContain("cpSync('models', 'node-red/models'");
	});

	it("depends at run time on exactly the core's dependencies, at the root package's versions", () => {
		const coreDependencies = Object.fromEntries(
			Object.entries(rootPackage.dependencies as Record<string, string>).filter(([name]) => !N8N_ONLY_DEPENDENCIES.includes(name)),
		);
		expect(nodeRedPackage.dependencies).toEqual(coreDependencies);
		expect(nodeRedPackage.devDependencies).toBeUndefined();
	});

	it('reaches only the core, its own files and Node built-ins (no n8n code)', () => {
		const nodesDir = path.join(PACKAGE_DIR, 'nodes');
		const required = fs
			.readdirSync(nodesDir)
			.filter((file) => file.endsWith('.js'))
			.flatMap((file) => [...fs.readFileSync(path.join(nodesDir, file), 'utf8').matchAll(/require\('([^']+)'\)/g)].map((match) => match[1]));
		const foreign = required.filter((name) => !['../core', './runtime'].includes(name) && !builtinModules.includes(name.replace(/^node:/, '')));
		expect(required).toContain('../core');
		expect(foreign).toEqual([]);
	});
});
