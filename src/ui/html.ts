import htm from 'htm';
import { h } from 'preact';

/** Tagged templates for Preact (htm): JSX without a compile step of its own. */
export const html = htm.bind(h);
