import { subgraphCodegenConfig } from '@rgb/kit/codegen';

export default subgraphCodegenConfig({ Brand: '../brands#BrandRecord', TopInfo: '../top-info#TopInfoFigures' });
