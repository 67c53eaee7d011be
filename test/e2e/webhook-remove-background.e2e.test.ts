/**
 * End to end: examples/webhook-remove-background.json in a REAL n8n 2.8.4 (`n8n start`) with our PACKED
 * package: publish, start, POST images, get the PNG cutout back; a broken upload must give HTTP 500
 * (responseMode lastNode), not an empty 200.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { N8n, REPO_ROOT, ensureN8nInstalled } from './n8n';
import { drawScene, maskIoU, readImage, type Scene } from './scenes';

const describeE2e = process.env.CUTOUT_E2E ? describe : describe.skip;
const EXAMPLE = path.join(REPO_ROOT, 'examples', 'webhook-remove-background.json');

describeE2e('examples/webhook-remove-background.json in real n8n', () => {
	let workDir: string;
	let n8n: N8n;
	let url: string;
	let disc: Scene;
	let egg: Scene;

	beforeAll(async () => {
		if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'nodes', 'RemoveBackground', 'RemoveBackground.node.js'))) {
			throw new Error('dist/ is not built: run `npm run build` (npm run test:e2e does)');
		}
		ensureN8nInstalled();
		workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutout-e2e-hook-'));
		disc = await drawScene({ name: 'disc', width: 512, height: 384, shape: 'disc', colour: [230, 60, 40], format: 'png', seed: 11 });
		egg = await drawScene({ name: 'egg', width: 360, height: 540, shape: 'ellipse', colour: [40, 150, 220], format: 'jpeg', seed: 12 });
		n8n = await N8n.create({
			userFolder: path.join(workDir, 'home'),
			env: { CUTOUT_MODELS_DIR: process.env.CUTOUT_MODELS_DIR ?? path.join(REPO_ROOT, '.e2e', 'cutout-models') },
		});
		n8n.installPackage();
		const { id } = await n8n.importWorkflow(EXAMPLE);
		await n8n.publishWorkflow(id);
		await n8n.startN8n();
		url = `${n8n.baseUrl}/webhook/remove-background`;
	}, 20 * 60_000);

	afterAll(async () => {
		await n8n?.dispose();
		if (workDir && !process.env.E2E_KEEP) fs.rmSync(workDir, { recursive: true, force: true });
	});

	async function checkCutout(res: Response, scene: Scene): Promise<void> {
		const body = Buffer.from(await res.arrayBuffer());
		if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${body.toString('utf8', 0, 500)}\n${n8n.serverLog.slice(-3000)}`);
		expect(res.headers.get('content-type')).toMatch(/^image\/png/);
		const file = path.join(workDir, `${scene.spec.name}.cutout.png`);
		fs.writeFileSync(file, body);
		const img = await readImage(file);
		expect([img.width, img.height]).toEqual([scene.spec.width, scene.spec.height]);
		expect(img.fileChannels).toBe(4);
		expect(maskIoU(img.data, img.channels, 3, scene.truth)).toBeGreaterThanOrEqual(0.9);
	}

	it('raw image body → 200 with the RGBA PNG cutout', async () => {
		const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'image/png' }, body: disc.encoded });
		await checkCutout(res, disc);
	});

	it('multipart field "data" (JPEG) → 200 with the RGBA PNG cutout', async () => {
		const form = new FormData();
		form.append('data', new Blob([egg.encoded], { type: 'image/jpeg' }), egg.fileName);
		const res = await fetch(url, { method: 'POST', body: form });
		await checkCutout(res, egg);
	});

	it('a body that is not an image → HTTP 500 (not an empty 200)', async () => {
		const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'image/png' }, body: Buffer.from('this is not a png') });
		expect(res.status).toBe(500);
		expect(await res.text()).toMatch(/error/i);
	});
});
