/**
 * End to end: examples/webhook-remove-background.json in a REAL n8n 2.8.4 (`n8n start`) with our PACKED
 * package: publish, start, POST images, get the PNG cutout back; a broken upload must give HTTP 500
 * (responseMode lastNode), not an empty 200.
 */
import * as path from 'node:path';

import {
	N8n,
	REPO_ROOT,
	assertPackageBuilt,
	ensureN8nInstalled,
	makeWorkDir,
	postImage,
	removeWorkDir,
	sharedModelsEnv,
	type WebhookResponse,
} from './n8n';
import { expectCutout } from './checks';
import { drawScene, type Scene } from './scenes';

const describeE2e = process.env.CUTOUT_E2E ? describe : describe.skip;
const EXAMPLE = path.join(REPO_ROOT, 'examples', 'webhook-remove-background.json');

describeE2e('examples/webhook-remove-background.json in real n8n', () => {
	let workDir: string;
	let n8n: N8n;
	let url: string;
	let disc: Scene;
	let egg: Scene;

	beforeAll(async () => {
		assertPackageBuilt();
		ensureN8nInstalled();
		workDir = makeWorkDir('hook');
		disc = await drawScene({ name: 'disc', width: 512, height: 384, shape: 'disc', colour: [230, 60, 40], format: 'png', seed: 11 });
		egg = await drawScene({ name: 'egg', width: 360, height: 540, shape: 'ellipse', colour: [40, 150, 220], format: 'jpeg', seed: 12 });
		n8n = await N8n.create({
			userFolder: path.join(workDir, 'home'),
			env: sharedModelsEnv(),
		});
		n8n.installPackage();
		const { id } = await n8n.importWorkflow(EXAMPLE);
		await n8n.publishWorkflow(id);
		await n8n.startN8n();
		url = `${n8n.baseUrl}/webhook/remove-background`;
	}, 20 * 60_000);

	afterAll(async () => {
		await n8n?.dispose();
		removeWorkDir(workDir);
	});

	async function checkCutout(res: WebhookResponse, scene: Scene): Promise<void> {
		if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.toString('utf8', 0, 500)}\n${n8n.serverLog.slice(-3000)}`);
		expect(res.contentType).toMatch(/^image\/png/);
		await expectCutout(res.body, scene);
	}

	it('raw image body → 200 with the RGBA PNG cutout', async () => {
		await checkCutout(await postImage(url, disc, 'raw'), disc);
	});

	it('multipart field "data" (JPEG) → 200 with the RGBA PNG cutout', async () => {
		await checkCutout(await postImage(url, egg, 'multipart'), egg);
	});

	it('a body that is not an image → HTTP 500 (not an empty 200)', async () => {
		const res = await postImage(url, { encoded: Buffer.from('this is not a png'), fileName: 'x.png', mimeType: 'image/png' }, 'raw');
		expect(res.status).toBe(500);
		expect(res.body.toString('utf8')).toMatch(/error/i);
	});
});
