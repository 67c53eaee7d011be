/**
 * The editor as a user meets it: a REAL n8n 2.8.4 (our PACKED package installed the way n8n's community
 * installer does it) driven in headless Chromium (Debian's `chromium`, through playwright-core; no browser
 * download). It creates the owner account over REST, then in the editor:
 *  - finds each node by a user's words (its name and its codex aliases) and adds it;
 *  - opens each node's panel on the local engine: no parameter issues on the defaults;
 *  - switches to each hosted engine: the credential selector appears and holds our credential type;
 *  - runs Manual Trigger → Read Files → Remove Background → Inpaint (auto-subject) with the Execute button
 *    and checks that the Binary view lists `image` and `mask` with previews that load.
 * Each step leaves a screenshot in test/e2e/artifacts/browser/ (git-ignored).
 *
 * Run: npm run test:browser   (= npm run build && jest -c jest.browser.config.js)
 * Env: CHROMIUM (default /usr/bin/chromium), E2E_KEEP=1 keeps n8n's user folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { type Browser, type BrowserContext, chromium, type Page, selectors } from 'playwright-core';

import type { OperationName } from '../../lib/providers/types';
import { providersFor } from '../../nodes/shared/remoteParameters';
import { N8n, PACKAGE_NAME, REPO_ROOT, assertPackageBuilt, ensureN8nInstalled, makeWorkDir, removeWorkDir, sharedModelsEnv } from './n8n';
import { writeScenes } from './scenes';

const describeBrowser = process.env.CUTOUT_BROWSER ? describe : describe.skip;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.join(REPO_ROOT, 'test', 'e2e', 'artifacts', 'browser');
const OWNER = { email: 'owner@cutout.test', firstName: 'Cutout', lastName: 'E2E', password: 'Cutout-e2e-2026' };

interface NodeUnderTest {
	displayName: string;
	operation: OperationName;
	/** What a user might type: the name first (used to add the node), then every alias in its codex file. */
	searches: string[];
}

function nodeUnderTest(folder: string, displayName: string, operation: OperationName): NodeUnderTest {
	const codex = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'nodes', folder, `${folder}.node.json`), 'utf8'));
	return { displayName, operation, searches: [displayName, ...codex.alias] };
}

const NODES: NodeUnderTest[] = [
	nodeUnderTest('RemoveBackground', 'Remove Background', 'removeBackground'),
	nodeUnderTest('AlphaMatte', 'Alpha Matte', 'alphaMatte'),
	nodeUnderTest('Inpaint', 'Inpaint', 'inpaint'),
];
const DOCS_URL = 'https://docs.n8n.io/integrations/community-nodes/installation-and-management/';

describeBrowser('the editor in headless Chromium, on real n8n with the packed package', () => {
	let workDir: string;
	let n8n: N8n;
	let browser: Browser;
	let context: BrowserContext;
	let page: Page;
	let step = 0;

	/** A full-page screenshot named after the step, in the order taken. */
	async function snap(name: string): Promise<void> {
		step += 1;
		await page.screenshot({ path: path.join(ARTIFACTS, `${String(step).padStart(2, '0')}-${name}.png`) });
	}

	beforeAll(async () => {
		assertPackageBuilt();
		ensureN8nInstalled();
		if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (or set CHROMIUM)`);
		fs.rmSync(ARTIFACTS, { recursive: true, force: true });
		fs.mkdirSync(ARTIFACTS, { recursive: true });
		workDir = makeWorkDir('browser');
		n8n = await N8n.create({ userFolder: path.join(workDir, 'home'), allowedDirs: [workDir], env: sharedModelsEnv() });
		n8n.installPackage();
		await n8n.startN8n();

		selectors.setTestIdAttribute('data-test-id');
		browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
		context = await browser.newContext({ baseURL: n8n.baseUrl, viewport: { width: 1920, height: 1080 } });
		const setup = await context.request.post('/rest/owner/setup', { data: OWNER });
		if (!setup.ok()) throw new Error(`POST /rest/owner/setup: ${setup.status()} ${await setup.text()}`);
		// Signed in as a user would be: the editor stayed on its loading spinner with only the setup's cookie.
		const login = await context.request.post('/rest/login', { data: { emailOrLdapLoginId: OWNER.email, password: OWNER.password } });
		if (!login.ok()) throw new Error(`POST /rest/login: ${login.status()} ${await login.text()}`);
		// Generous: on a shared 2-core machine a panel can take many seconds to render.
		context.setDefaultTimeout(90_000);
		page = await context.newPage();
	}, 10 * 60_000);

	// What the page showed when each test ended: the one to look at when a test failed.
	afterEach(async () => {
		await page?.screenshot({ path: path.join(ARTIFACTS, `end-of-${expect.getState().currentTestName?.replace(/\W+/g, '-').slice(-60)}.png`) });
	});

	afterAll(async () => {
		await browser?.close();
		await n8n?.dispose();
		removeWorkDir(workDir);
	});

	/**
	 * Opens the node creator, types `words`, and returns the names of the nodes it lists once `expected` is
	 * among them, or after 20 s (the list filters as the query changes, debounced).
	 */
	async function search(words: string, expected: string): Promise<string[]> {
		const input = page.getByTestId('node-creator').getByTestId('search-bar').locator('input');
		if (!(await input.isVisible())) await page.getByTestId('node-creator-plus-button').click();
		await input.fill(words);
		const names = page.getByTestId('node-creator-item-name');
		let found: string[] = [];
		for (const deadline = Date.now() + 20_000; Date.now() < deadline; await page.waitForTimeout(250)) {
			found = await names.allInnerTexts();
			if (found.includes(expected)) break;
		}
		return found;
	}

	/** Escape clears the query, then closes the creator; wait until it has gone, or the next search would type into it. */
	async function closeCreator(): Promise<void> {
		const creator = page.getByTestId('node-creator');
		for (let presses = 0; presses < 3 && (await creator.isVisible()); presses++) {
			await page.keyboard.press('Escape');
			await page.waitForTimeout(500);
		}
		await creator.waitFor({ state: 'hidden' });
	}

	async function closePanel(): Promise<void> {
		await page.getByTestId('ndv-close-button').click();
		await page.getByTestId('ndv').waitFor({ state: 'hidden' });
	}

	async function chooseOption(parameter: string, option: string): Promise<void> {
		await page.getByTestId(`parameter-input-${parameter}`).click();
		// n8n's selects are Element Plus dropdowns; an option's text is its name and then its description.
		await page.locator('li.el-select-dropdown__item:visible').filter({ hasText: option }).first().click();
	}

	async function expectNoIssues(): Promise<void> {
		expect(await page.getByTestId('ndv').getByTestId('parameter-issues').count()).toBe(0);
		expect(await page.getByTestId('ndv').getByTestId('node-issues').count()).toBe(0);
	}

	it('finds each node by its name and aliases, and shows no issues on the local engine defaults', async () => {
		await page.goto('/workflow/new');
		await page.getByTestId('canvas-add-button').click();
		expect(await search('manual', 'Manual Trigger')).toContain('Manual Trigger');
		await page.keyboard.press('Enter');
		await page.getByTestId('canvas-node').first().waitFor();

		for (const node of NODES) {
			for (const words of node.searches) {
				const found = await search(words, node.displayName);
				await snap(`search-${words.replace(/\W+/g, '-')}`);
				expect({ words, found }).toEqual({ words, found: expect.arrayContaining([node.displayName]) });
				await closeCreator();
			}
			// The check can fail: words that name none of our nodes do not list them.
			expect(await search('qqzx unrelated words', node.displayName)).not.toContain(node.displayName);
			await search(node.searches[0], node.displayName);
			await page.getByTestId('node-creator-item-name').filter({ hasText: node.displayName }).first().click();
			// A community node opens its details first; its button adds it.
			await page.getByRole('button', { name: 'Add to workflow' }).click();
			await page.getByTestId('ndv').waitFor();
			await page.getByTestId('parameter-input-engine').waitFor();
			await snap(`panel-${node.operation}-local`);
			await expectNoIssues();
			// The codex's documentation link, not the npm page n8n falls back to for community nodes.
			expect(await page.getByTestId('ndv').getByRole('link', { name: 'Docs' }).getAttribute('href')).toContain(DOCS_URL);
			await closePanel();
		}
		await snap('canvas-all-nodes');
	}, 15 * 60_000);

	it('switching to a hosted engine shows the credential selector for our credential type', async () => {
		// Its own workflow with the three nodes on their defaults, so that this test does not depend on the one above.
		const created = await context.request.post('/rest/workflows', {
			data: {
				name: 'Hosted engines',
				active: false,
				settings: {},
				connections: {},
				nodes: NODES.map((node, index) => ({
					id: `h${index}`,
					name: node.displayName,
					type: `${PACKAGE_NAME}.${node.operation}`,
					typeVersion: 1,
					position: [index * 240, 0],
					parameters: {},
				})),
			},
		});
		expect(created.status()).toBe(200);
		await page.goto(`/workflow/${(await created.json()).data.id}`);
		for (const node of NODES) {
			await page.getByTestId('canvas-node').filter({ hasText: node.displayName }).first().dblclick();
			await page.getByTestId('ndv').waitFor();
			for (const provider of providersFor(node.operation)) {
				await chooseOption('engine', `${provider.displayName} (Hosted API)`);
				const selector = page.getByTestId('node-credentials-select');
				await selector.waitFor();
				// n8n labels the selector with the credential type's display name ("Credential for fal.ai API").
				await page.getByTestId('ndv').getByText(`Credential for ${provider.displayName}`).first().waitFor();
				await snap(`panel-${node.operation}-${provider.id}`);
			}
			await chooseOption('engine', 'Local (ONNX on This Machine)');
			await page.getByTestId('node-credentials-select').waitFor({ state: 'detached' });
			await closePanel();
		}
	}, 10 * 60_000);

	it('runs Read Files → Remove Background → Inpaint (auto-subject) from the editor, and the Binary view shows image and mask', async () => {
		const inputDir = path.join(workDir, 'input');
		const [scene] = await writeScenes(inputDir, [
			{ name: 'green-egg', width: 480, height: 720, shape: 'ellipse', colour: [52, 168, 72], format: 'jpeg', seed: 3 },
		]);
		const type = (node: string) => `${PACKAGE_NAME}.${node}`;
		const created = await context.request.post('/rest/workflows', {
			data: {
				name: 'Cutout in the browser',
				active: false,
				settings: {},
				nodes: [
					{ id: 'b1', name: 'Manual Trigger', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
					{
						id: 'b2',
						name: 'Read Files',
						type: 'n8n-nodes-base.readWriteFile',
						typeVersion: 1.1,
						position: [220, 0],
						parameters: { operation: 'read', fileSelector: path.join(inputDir, scene.fileName), options: {} },
					},
					{ id: 'b3', name: 'Remove Background', type: type('removeBackground'), typeVersion: 1, position: [440, 0], parameters: {} },
					// Auto-subject: the segmentation model finds the subject, which is erased.
					{ id: 'b4', name: 'Inpaint', type: type('inpaint'), typeVersion: 1, position: [660, 0], parameters: { region: 'subject' } },
				],
				connections: {
					'Manual Trigger': { main: [[{ node: 'Read Files', type: 'main', index: 0 }]] },
					'Read Files': { main: [[{ node: 'Remove Background', type: 'main', index: 0 }]] },
					'Remove Background': { main: [[{ node: 'Inpaint', type: 'main', index: 0 }]] },
				},
			},
		});
		expect(created.status()).toBe(200);
		const { id } = (await created.json()).data;

		await page.goto(`/workflow/${id}`);
		await page.getByTestId('execute-workflow-button').click();
		const inpaintNode = page.getByTestId('canvas-node').filter({ hasText: 'Inpaint' }).first();
		// Cold start: the embedded model is prepared on first use (seconds), on a shared 2-core machine.
		await inpaintNode.getByTestId('canvas-node-status-success').waitFor({ timeout: 5 * 60_000 });
		await snap('run-finished');

		for (const nodeName of ['Remove Background', 'Inpaint']) {
			await page.getByTestId('canvas-node').filter({ hasText: nodeName }).first().dblclick();
			const output = page.getByTestId('output-panel');
			await output.getByTestId('radio-button-binary').click();
			const cards = output.locator('[data-test-id="ndv-binary-data_0"]');
			await cards.first().waitFor();
			const fields = await cards.evaluateAll((els) => els.map((el) => el.firstElementChild?.textContent?.trim()));
			expect(fields).toEqual(expect.arrayContaining(['image', 'mask']));
			await snap(`binary-${nodeName.replace(/\W+/g, '-')}`);

			for (const field of ['image', 'mask']) {
				await cards.filter({ has: page.getByText(field, { exact: true }) }).getByTestId('ndv-view-binary-data').click();
				const preview = output.locator('img[src*="binary-data"]');
				await preview.waitFor();
				await expect(preview.evaluate((img: any) => img.decode().then(() => img.naturalWidth))).resolves.toBe(scene.spec.width);
				await snap(`preview-${nodeName.replace(/\W+/g, '-')}-${field}`);
				await output.getByRole('button', { name: /back to list/i }).click();
			}
			await closePanel();
		}
	}, 15 * 60_000);

	it.each(['remove-background-then-inpaint.json'])('examples/%s: the sticky note shows its last line', async (file) => {
		const example = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'examples', file), 'utf8'));
		const { name, nodes, connections, settings } = example;
		const created = await context.request.post('/rest/workflows', { data: { name, nodes, connections, settings, active: false } });
		expect(created.status()).toBe(200);
		await page.goto(`/workflow/${(await created.json()).data.id}`);
		const sticky = page.getByTestId('sticky').first();
		await sticky.waitFor();
		await snap(`example-${file.replace(/\W+/g, '-')}`);
		// The note's last paragraph or list item ends inside the note (a cut-off line ends below it).
		const note = await sticky.boundingBox();
		const lastLine = await sticky.locator('p, li').last().boundingBox();
		expect(lastLine!.y + lastLine!.height).toBeLessThanOrEqual(note!.y + note!.height);
	});
});
