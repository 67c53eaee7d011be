import { isIPv4 } from 'node:net';

/** Whether a URL hostname names this machine: 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackHost(hostname: string): boolean {
	// URL keeps IPv6 hosts in brackets and has already normalised forms like 127.1 and [0:0::1].
	const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
	if (host === 'localhost' || host === '::1') return true;
	return isIPv4(host) && host.startsWith('127.');
}
