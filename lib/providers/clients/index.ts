import { clipdrop } from './clipdrop';
import { fal } from './fal';
import { knockout } from './knockout';
import { photoroom } from './photoroom';
import { removebg } from './removebg';
import type { RemoteProvider } from '../types';
import { withoutbg } from './withoutbg';

/**
 * Every hosted provider. The nodes build their Engine options, credentials and provider parameters from
 * this list, so adding a provider means one client file, one credential, one mock and one line here.
 */
export const remoteProviders: readonly RemoteProvider[] = [fal, withoutbg, knockout, removebg, photoroom, clipdrop];

export function remoteProvider(id: string): RemoteProvider | undefined {
	return remoteProviders.find((provider) => provider.id === id);
}

