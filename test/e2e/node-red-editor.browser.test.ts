/**
 * The Node-RED editor as a user meets our nodes: a REAL Node-RED 4.1 with the PACKED node-red-contrib-cutout
 * installed into its user directory, driven in headless Chromium (Debian's `chromium`, through playwright-core).
 * It drags each node from the palette onto the canvas, opens its edit dialog and checks that the fields render, that rows show and hide
 * with the settings they depend on (background color only for Color or JPEG, provider only for Hosted, …), that
 * the dropdowns hold the core's models and providers, that an edit is saved, and that the page logged no error.
 * Screenshots go to test/e2e/artifacts/browser-node-red/ (git-ignored).
 *
 * Run: npm run test:browser   (builds the n8n package and node-red/core first)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { type Browser, chromium, type Page } from 'playwright-core';

import { makeWorkDir, REPO_ROOT, removeWorkDir } from './n8n';
import { installIntoUserDir, NodeRed, packNodeRedPackage } from './nodeRed';

const describeBrowser = process.env.CUTOUT_BROWSER ? describe : describe.skip;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.join(REPO_ROOT, 'test', 'e2e', 'artifacts', 'browser-node-red');

/** An empty tab and a provider config node; the test adds our three nodes from the palette as a user would. */
const FLOWS = [
	{ id: 'tab', type: 'tab', label: 'Cutout' },
	{ id: 'providerNode', type: 'cutout-provider', name: 'my remove.bg', provider: 'removebg', baseUrl: '' },
];

describeBrowser('the Node-RED editor in headless Chromium, with the packed node-red-contrib-cutout', () => {
	let workDir: string;
	let nodeRed: NodeRed;
	let browser: Browser;
	let page: Page;
	const pageErrors: string[] = [];
	let step = 0;

	async function snap(name: string): Promise<void> {
		step += 1;
		await page.screenshot({ path: path.join(ARTIFACTS, `${String(step).padStart(2, '0')}-${name}.png`) });
	}

	/** Whether the form row holding `field` is shown. */
	function rowShown(field: string): Promise<boolean> {
		return page.locator(field).locator('xpath=ancestor::div[contains(@class, "form-row")][1]').isVisible();
	}

	/** Which of `fields` have their row shown. */
	async function shownRows(fields: string[]): Promise<Record<string, boolean>> {
		const shown: Record<string, boolean> = {};
		for (const field of fields) shown[field] = await rowShown(field);
		return shown;
	}

	/** The id the editor gave the node of `type` dropped on the canvas. */
	async function nodeId(type: string): Promise<string> {
		// The editor's own model of the flow (no DOM types here: the page's globals, untyped).
		const ids = await page.evaluate((wanted) => (globalThis as any).RED.nodes.filterNodes({ type: wanted }).map((node: { id: string }) => node.id), type);
		expect(ids).toHaveLength(1);
		return ids[0];
	}

	/** Opens the edit dialog of the node of `type` by double-clicking it on the canvas; waits for its dropdowns to be filled. */
	async function openNode(type: string): Promise<void> {
		await page.locator(`g.red-ui-flow-node-group[id="${await nodeId(type)}"] rect.red-ui-flow-node`).dblclick();
		await page.locator('#node-input-engine').waitFor();
		await page.locator('#node-input-model option').nth(1).waitFor({ state: 'attached' });
	}

	/** Hosted engine chosen: the provider row shows, `localRows` hide, the note names the providers offering the operation. */
	async function switchToHosted(localRows: string[], providers: string): Promise<void> {
		await page.selectOption('#node-input-engine', 'hosted');
		expect(await shownRows(['#node-input-provider', ...localRows])).toEqual(
			Object.fromEntries([['#node-input-provider', true], ...localRows.map((field) => [field, false])]),
		);
		await expect(page.locator('#cutout-providers-note').innerText()).resolves.toBe(`Providers offering this: ${providers}`);
	}

	/** Done or Cancel, and wait until the dialog has gone. */
	async function closeDialog(button: '#node-dialog-ok' | '#node-dialog-cancel'): Promise<void> {
		await page.locator(button).click();
		await page.locator('#node-input-engine').waitFor({ state: 'detached' });
	}

	async function optionTexts(select: string): Promise<string[]> {
		return await page.locator(`${select} option`).allInnerTexts();
	}

	beforeAll(async () => {
		if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: bash scripts/e2e/install-chromium.sh (or set CHROMIUM)`);
		fs.rmSync(ARTIFACTS, { recursive: true, force: true });
		fs.mkdirSync(ARTIFACTS, { recursive: true });
		workDir = makeWorkDir('node-red-browser');
		const userDir = path.join(workDir, 'userDir');
		installIntoUserDir(userDir, packNodeRedPackage(workDir));
		nodeRed = await NodeRed.start({ userDir, flows: FLOWS });

		browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
		page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
		page.setDefaultTimeout(60_000);
		page.on('console', (message) => {
			if (message.type() === 'error') pageErrors.push(message.text());
		});
		page.on('pageerror', (error) => pageErrors.push(error.message));
		await page.goto(nodeRed.baseUrl);
		await page.locator('#red-ui-palette-cutout').waitFor();
	}, 10 * 60_000);

	afterEach(async () => {
		await page?.screenshot({ path: path.join(ARTIFACTS, `end-of-${expect.getState().currentTestName?.replace(/\W+/g, '-').slice(-60)}.png`) });
	});

	afterAll(async () => {
		await browser?.close();
		await nodeRed?.stop();
		removeWorkDir(workDir);
	});

	it('lists the three nodes in a "cutout" palette category; dropped on the canvas, each is valid on its defaults', async () => {
		const category = page.locator('#red-ui-palette-cutout');
		const types = ['cutout-remove-background', 'cutout-alpha-matte', 'cutout-inpaint'];
		for (const [index, type] of types.entries()) {
			await category.locator(`.red-ui-palette-node[data-palette-type="${type}"]`).dragTo(page.locator('#red-ui-workspace-chart'), {
				targetPosition: { x: 250, y: 100 + index * 100 },
			});
			await page.locator(`g.red-ui-flow-node-group[id="${await nodeId(type)}"]`).waitFor();
		}
		await snap('palette-and-canvas');
		const invalid = await page.evaluate(() =>
			(globalThis as any).RED.nodes.filterNodes({ z: 'tab' }).filter((node: { valid: boolean }) => !node.valid).map((node: { type: string }) => node.type),
		);
		expect(invalid).toEqual([]);
	});

	it("Remove Background's dialog: rows follow engine, background, format and crop; the model list comes from the core; an edit is saved", async () => {
		await openNode('cutout-remove-background');
		await snap('remove-background-local');
		expect(await optionTexts('#node-input-model')).toEqual(expect.arrayContaining(['Default: ISNet General (embedded, fp16)', 'U²-Net-P (small and fast, 320 px)']));
		const rows = ['#node-input-provider', '#node-input-model', '#node-input-matteQuality', '#node-input-backgroundColor', '#node-input-quality', '#node-input-cropMargin'];
		expect(await shownRows(rows)).toEqual({
			'#node-input-provider': false,
			'#node-input-model': true,
			'#node-input-matteQuality': true,
			'#node-input-backgroundColor': false,
			'#node-input-quality': false,
			'#node-input-cropMargin': false,
		});
		expect(await page.locator('#node-input-includeMask').isChecked()).toBe(true);

		await page.selectOption('#node-input-background', 'color');
		expect(await rowShown('#node-input-backgroundColor')).toBe(true);
		await page.selectOption('#node-input-background', 'transparent');
		expect(await rowShown('#node-input-backgroundColor')).toBe(false);
		await page.selectOption('#node-input-format', 'jpeg');
		// JPEG has no transparency: flattened onto the color, at a quality.
		expect(await shownRows(['#node-input-backgroundColor', '#node-input-quality'])).toEqual({ '#node-input-backgroundColor': true, '#node-input-quality': true });
		await page.locator('#node-input-crop').check();
		expect(await rowShown('#node-input-cropMargin')).toBe(true);
		await snap('remove-background-jpeg-crop');

		await switchToHosted(['#node-input-model', '#node-input-matteQuality'], 'fal.ai, withoutBG, knockout, remove.bg, Photoroom, Clipdrop');
		await snap('remove-background-hosted');

		await page.selectOption('#node-input-engine', 'local');
		await page.selectOption('#node-input-model', 'u2netp');
		await closeDialog('#node-dialog-ok');
		const saved = await page.evaluate((id) => {
			const node = (globalThis as any).RED.nodes.node(id);
			return { model: node.model, format: node.format, crop: node.crop, engine: node.engine, valid: node.valid };
		}, await nodeId('cutout-remove-background'));
		expect(saved).toEqual({ model: 'u2netp', format: 'jpeg', crop: true, engine: 'local', valid: true });
	});

	it("Alpha Matte's dialog: the threshold shows only for a binary mask", async () => {
		await openNode('cutout-alpha-matte');
		expect(await rowShown('#node-input-threshold')).toBe(false);
		expect(await optionTexts('#node-input-format')).toEqual(['PNG 8-bit', 'PNG 16-bit', 'WebP (lossless)']);
		expect(await page.locator('#node-input-guidedUpsampling').isChecked()).toBe(true);
		await page.selectOption('#node-input-output', 'binary');
		expect(await rowShown('#node-input-threshold')).toBe(true);
		await snap('alpha-matte-binary');
		await closeDialog('#node-dialog-cancel');
	});

	it("Inpaint's dialog: fill models from the core, quality only for lossy formats, local rows hidden for a hosted engine", async () => {
		await openNode('cutout-inpaint');
		await page.locator('#node-input-inpaintModel option').nth(1).waitFor({ state: 'attached' });
		expect(await optionTexts('#node-input-inpaintModel')).toEqual(expect.arrayContaining(['Default: Patch Fill (Embedded)', 'Smooth Fill (Embedded, Fast)']));
		expect(await page.locator('label[for="node-input-model"]').innerText()).toContain('Subject model');
		expect(await page.locator('#node-input-dilation').inputValue()).toBe('8');
		expect(await rowShown('#node-input-quality')).toBe(false);
		await page.selectOption('#node-input-format', 'webp');
		expect(await rowShown('#node-input-quality')).toBe(true);
		await snap('inpaint-local');
		await switchToHosted(['#node-input-inpaintModel', '#node-input-model', '#node-input-matteQuality'], 'fal.ai, knockout, Clipdrop');
		await snap('inpaint-hosted');
		await closeDialog('#node-dialog-cancel');
	});

	it("the provider config node's dialog: providers from the core, the key as a password field", async () => {
		await openNode('cutout-remove-background');
		await page.selectOption('#node-input-engine', 'hosted');
		await page.selectOption('#node-input-provider', 'providerNode');
		await page.locator('#node-input-btn-provider-edit').click();
		await page.locator('#node-config-input-provider option').nth(5).waitFor({ state: 'attached' });
		expect(await optionTexts('#node-config-input-provider')).toEqual(['fal.ai', 'withoutBG', 'knockout', 'remove.bg', 'Photoroom', 'Clipdrop']);
		expect(await page.locator('#node-config-input-provider').inputValue()).toBe('removebg');
		expect(await page.locator('#node-config-input-apiKey').getAttribute('type')).toBe('password');
		expect(await page.locator('#node-config-input-baseUrl').isVisible()).toBe(true);
		await snap('provider-config');
		await page.locator('#node-config-dialog-cancel').click();
		await closeDialog('#node-dialog-cancel');
	});

	it('the page logged no error', () => {
		expect(pageErrors).toEqual([]);
	});
});
