import { clipdropMock } from './clipdrop';
import { falMock } from './fal';
import { knockoutMock } from './knockout';
import { photoroomMock } from './photoroom';
import { removeBgMock } from './removebg';
import type { MockProviderServer } from './server';
import { withoutBgMock } from './withoutbg';

/** One mock per provider in lib/providers/index.ts, by provider id. */
export const providerMocks: Record<string, (apiKey: string) => MockProviderServer> = {
	fal: falMock,
	withoutbg: withoutBgMock,
	knockout: knockoutMock,
	removebg: removeBgMock,
	photoroom: photoroomMock,
	clipdrop: clipdropMock,
};
