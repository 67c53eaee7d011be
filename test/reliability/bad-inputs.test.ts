import { RemoveBackground } from '../../nodes/RemoveBackground/RemoveBackground.node';
import { badInputCorpus, type BadInputCase } from '../helpers/badInputs';
import { binaryBytes, binaryItem, fakeExecuteFunctions } from '../helpers/executeFunctions';
import { LOCAL_U2NETP_PARAMETERS } from '../helpers/nodeParameters';
import { rawPixels } from '../helpers/scene';

/**
 * Every case goes through the real node in ONE execution with Continue On Fail, as a webhook-fed
 * workflow would see them: each item must come out in order, either correct or with its specific error.
 */
describe('bad-input corpus through Remove Background', () => {
	let corpus: BadInputCase[];
	beforeAll(async () => {
		corpus = await badInputCorpus();
	});

	it('has at least 40 cases', () => {
		expect(corpus.length).toBeGreaterThanOrEqual(40);
	});

	it('answers every case in order, correctly or with a specific error, within the time bound', async () => {
		const items = corpus.map((testCase, index) =>
			testCase.bytes ? binaryItem(testCase.bytes, `case-${index}.bin`, testCase.mimeType, { case: testCase.name }) : { json: { case: testCase.name } },
		);
		const ctx = fakeExecuteFunctions({
			items,
			continueOnFail: true,
			parameters: LOCAL_U2NETP_PARAMETERS,
		});
		const [output] = await new RemoveBackground().execute.call(ctx);

		expect(output.map((item) => item.json.case)).toEqual(corpus.map((testCase) => testCase.name));
		const problems: string[] = [];
		for (const [index, testCase] of corpus.entries()) {
			const item = output[index];
			expect(item.pairedItem).toEqual({ item: index });
			const { expect: expected } = testCase;
			if ('ok' in expected) {
				if (item.json.error) {
					problems.push(`${testCase.name}: unexpected error ${String(item.json.errorCode)}: ${String(item.json.error)}`);
					continue;
				}
				const cutout = await rawPixels(binaryBytes(item.binary!.image));
				const mask = await rawPixels(binaryBytes(item.binary!.mask));
				if (cutout.width !== expected.ok.width || cutout.height !== expected.ok.height || cutout.channels !== 4 || mask.channels !== 1) {
					problems.push(`${testCase.name}: got ${cutout.width}×${cutout.height}×${cutout.channels}, mask ${mask.channels} channel(s)`);
				}
				if (expected.ok.transparent) {
					// The source's own transparency survives: some output pixels are fully transparent.
					const alphaZero = mask.data.some((value) => value === 0);
					if (!alphaZero) problems.push(`${testCase.name}: source transparency was lost`);
				}
			} else if ('errorCode' in expected) {
				if (item.json.errorCode !== expected.errorCode) {
					problems.push(`${testCase.name}: expected ${expected.errorCode}, got ${String(item.json.errorCode)} (${String(item.json.error)})`);
				} else if (typeof item.json.error !== 'string' || item.json.error.length < 15) {
					problems.push(`${testCase.name}: error message too vague: ${String(item.json.error)}`);
				}
			} else if (!expected.errorMatches.test(String(item.json.error))) {
				problems.push(`${testCase.name}: error ${String(item.json.error)} does not match ${expected.errorMatches}`);
			}
		}
		expect(problems).toEqual([]);
	});
});
