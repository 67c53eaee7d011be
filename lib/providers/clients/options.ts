import { CutoutError } from '../../errors';
import type { ProviderOptions, ProviderParameter } from '../types';

/**
 * Reads a provider option against its parameter description: the default when unset, otherwise a value of
 * the declared type and range. The error names the provider, the option and the value it got.
 */
export function readOption(provider: string, options: ProviderOptions, parameter: ProviderParameter & { type: 'options' }): string;
export function readOption(provider: string, options: ProviderOptions, parameter: ProviderParameter & { type: 'boolean' }): boolean;
export function readOption(provider: string, options: ProviderOptions, parameter: ProviderParameter & { type: 'number' }): number;
export function readOption(provider: string, options: ProviderOptions, parameter: ProviderParameter): string | number | boolean {
	const value = options[parameter.name];
	if (value === undefined) return parameter.default;
	const refuse = (expected: string) =>
		new CutoutError('invalid_option', `${provider}: ${parameter.displayName} must be ${expected}, got ${JSON.stringify(value)}`);
	switch (parameter.type) {
		case 'options': {
			const allowed = parameter.values.map((entry) => entry.value);
			if (typeof value !== 'string' || !allowed.includes(value)) throw refuse(`one of ${allowed.map((v) => `"${v}"`).join(', ')}`);
			return value;
		}
		case 'boolean':
			if (typeof value !== 'boolean') throw refuse('true or false');
			return value;
		case 'number':
			if (typeof value !== 'number' || !Number.isFinite(value) || value < parameter.min || value > parameter.max) {
				throw refuse(`a number from ${parameter.min} to ${parameter.max}`);
			}
			return value;
	}
}
